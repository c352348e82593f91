-- rule_service baseline: validation/compliance rules and their versions (regional).
-- A rule applies to a form by key (forms live in form_service, another database, so there is
-- no foreign key across them).

CREATE TABLE rules (
    tenant_id   uuid        NOT NULL,
    id          uuid        NOT NULL DEFAULT gen_random_uuid(),
    key         text        NOT NULL,
    name        text        NOT NULL,
    form_key    text        NOT NULL,
    severity    text        NOT NULL DEFAULT 'error',
    enabled     boolean     NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT rules_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT rules_key_key UNIQUE (tenant_id, key),
    CONSTRAINT rules_severity_check CHECK (severity IN ('info', 'warning', 'error', 'block'))
);
CREATE INDEX rules_form_key_idx ON rules (tenant_id, form_key);

CREATE TABLE rule_versions (
    tenant_id      uuid        NOT NULL,
    id             uuid        NOT NULL DEFAULT gen_random_uuid(),
    rule_id        uuid        NOT NULL,
    version        integer     NOT NULL,
    expression     jsonb       NOT NULL,
    effective_from date        NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT rule_versions_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT rule_versions_rule_version_key UNIQUE (tenant_id, rule_id, version),
    CONSTRAINT rule_versions_rule_fkey FOREIGN KEY (tenant_id, rule_id) REFERENCES rules (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT rule_versions_version_check CHECK (version > 0)
);
