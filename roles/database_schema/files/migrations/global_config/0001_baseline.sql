-- global_config baseline: platform-wide configuration (global tier). Settings and feature
-- flags apply to the whole platform and carry no tenant_id. Per-tenant flag overrides are
-- tenant data and are isolated by row-level security; they name a flag by key without a
-- foreign key so that no constraint on a tenant table leaves out tenant_id.

CREATE TABLE platform_settings (
    key         text        NOT NULL,
    value       jsonb       NOT NULL,
    description text        NOT NULL DEFAULT '',
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT platform_settings_pkey PRIMARY KEY (key),
    CONSTRAINT platform_settings_key_check CHECK (key ~ '^[a-z][a-z0-9_.]*$')
);

CREATE TABLE feature_flags (
    key         text        NOT NULL,
    enabled     boolean     NOT NULL DEFAULT false,
    description text        NOT NULL DEFAULT '',
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT feature_flags_pkey PRIMARY KEY (key),
    CONSTRAINT feature_flags_key_check CHECK (key ~ '^[a-z][a-z0-9_]*$')
);

CREATE TABLE tenant_feature_overrides (
    tenant_id  uuid        NOT NULL,
    id         uuid        NOT NULL DEFAULT gen_random_uuid(),
    flag_key   text        NOT NULL,
    enabled    boolean     NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT tenant_feature_overrides_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT tenant_feature_overrides_flag_key UNIQUE (tenant_id, flag_key)
);
