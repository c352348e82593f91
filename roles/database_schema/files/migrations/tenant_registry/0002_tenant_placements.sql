-- tenant_registry 0002: where each tenant's regional data lives (routing), issue 16 item 2, docs/tenant-migration.md.
--
-- Like `tenants`, this table is deliberately NOT tenant-scoped: routing must resolve the placement of any tenant
-- before a tenant context exists. Its key is therefore `id` (the tenant's id, one row per tenant), not `tenant_id`,
-- so postgresql_rls leaves it alone, and the app role reads and writes it through the same default privileges as
-- `tenants`. No row means tier 2: the tenant lives in the shared databases of its home deployment, isolated by
-- row level security. playbooks/tenant_migrate.yml writes tier 3 (a dedicated server, psql-cf-<deployment>-tenant-<slug>)
-- only after the tenant's rows were copied and verified there, and before they are deleted from the shared databases.

CREATE TABLE tenant_placements (
    id          uuid        NOT NULL,
    deployment  text        NOT NULL,
    tier        smallint    NOT NULL,
    server_name text,
    switched_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT tenant_placements_pkey PRIMARY KEY (id),
    CONSTRAINT tenant_placements_tenant_fkey FOREIGN KEY (id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT tenant_placements_tier_check CHECK (tier IN (2, 3)),
    CONSTRAINT tenant_placements_server_check CHECK ((tier = 3) = (server_name IS NOT NULL)),
    CONSTRAINT tenant_placements_deployment_check CHECK (deployment ~ '^[a-z0-9-]+$')
);
CREATE INDEX tenant_placements_deployment_idx ON tenant_placements (deployment, tier);
