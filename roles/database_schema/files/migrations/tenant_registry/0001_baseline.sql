-- tenant_registry baseline: the platform's directory of tenants (global tier).
--
-- `tenants` is deliberately NOT tenant-scoped: routing must resolve a tenant (by id or slug)
-- before any tenant context exists, and onboarding creates rows no tenant owns yet. Its key
-- is therefore `id`, not `tenant_id`, so postgresql_rls leaves it alone. It holds only what
-- routing and billing need (name, slug, home region, status, plan).
-- Data a tenant owns (its contacts and settings) lives in tenant-scoped tables below and is
-- isolated by row-level security like every regional table.

CREATE TABLE tenants (
    id          uuid        NOT NULL DEFAULT gen_random_uuid(),
    slug        text        NOT NULL,
    name        text        NOT NULL,
    home_region text        NOT NULL,
    status      text        NOT NULL DEFAULT 'onboarding',
    plan        text        NOT NULL DEFAULT 'standard',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT tenants_pkey PRIMARY KEY (id),
    CONSTRAINT tenants_slug_key UNIQUE (slug),
    CONSTRAINT tenants_slug_check CHECK (slug ~ '^[a-z][a-z0-9-]{1,38}[a-z0-9]$'),
    CONSTRAINT tenants_home_region_check CHECK (home_region ~ '^[a-z]+$'),
    CONSTRAINT tenants_status_check CHECK (status IN ('onboarding', 'active', 'suspended', 'offboarded')),
    CONSTRAINT tenants_plan_check CHECK (plan IN ('trial', 'standard', 'enterprise'))
);
CREATE INDEX tenants_home_region_idx ON tenants (home_region, status);

CREATE TABLE tenant_contacts (
    tenant_id  uuid        NOT NULL,
    id         uuid        NOT NULL DEFAULT gen_random_uuid(),
    kind       text        NOT NULL,
    full_name  text        NOT NULL,
    email      text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT tenant_contacts_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT tenant_contacts_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT tenant_contacts_kind_email_key UNIQUE (tenant_id, kind, email),
    CONSTRAINT tenant_contacts_kind_check CHECK (kind IN ('primary', 'billing', 'security', 'technical'))
);

CREATE TABLE tenant_settings (
    tenant_id  uuid        NOT NULL,
    id         uuid        NOT NULL DEFAULT gen_random_uuid(),
    key        text        NOT NULL,
    value      jsonb       NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT tenant_settings_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT tenant_settings_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT tenant_settings_key_key UNIQUE (tenant_id, key)
);
