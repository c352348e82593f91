-- declaration_service baseline: holding/transaction declarations (regional).
--
-- `declarations` is a plain table: every index leads with tenant_id, so a tenant's query is an
-- index range scan whether the tenant comes from the RLS policy or from the query. (Hash
-- partitioning by tenant made every query that relies on the policy alone plan all partitions,
-- since the tenant is unknown at plan time: 1.5x the latency, bench/rls/README.md. The
-- partitioned tenant table of the estate is notification_service.notification_log.)
-- A security is referenced by ISIN; securities live in master_data (global tier), so there
-- is no foreign key, only the same format check.

CREATE TABLE declarations (
    tenant_id    uuid          NOT NULL,
    id           uuid          NOT NULL DEFAULT gen_random_uuid(),
    reference    text          NOT NULL,
    form_key     text          NOT NULL,
    form_version integer       NOT NULL,
    declarant_id uuid          NOT NULL,
    isin         text          NOT NULL,
    declared_on  date          NOT NULL,
    quantity     numeric(20,4) NOT NULL,
    amount       numeric(20,2) NOT NULL,
    currency     text          NOT NULL,
    status       text          NOT NULL DEFAULT 'submitted',
    payload      jsonb         NOT NULL DEFAULT '{}',
    created_at   timestamptz   NOT NULL DEFAULT now(),
    CONSTRAINT declarations_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT declarations_reference_key UNIQUE (tenant_id, reference),
    CONSTRAINT declarations_isin_check CHECK (isin ~ '^[A-Z]{2}[A-Z0-9]{9}[0-9]$'),
    CONSTRAINT declarations_currency_check CHECK (currency ~ '^[A-Z]{3}$'),
    CONSTRAINT declarations_status_check CHECK (status IN ('draft', 'submitted', 'in_review', 'accepted', 'rejected'))
);

-- The listing a tenant's UI runs: newest first within a tenant.
CREATE INDEX declarations_declared_on_idx ON declarations (tenant_id, declared_on DESC, id DESC);
CREATE INDEX declarations_isin_idx ON declarations (tenant_id, isin);
CREATE INDEX declarations_status_idx ON declarations (tenant_id, status);

CREATE TABLE declaration_events (
    tenant_id      uuid        NOT NULL,
    id             uuid        NOT NULL DEFAULT gen_random_uuid(),
    declaration_id uuid        NOT NULL,
    event_type     text        NOT NULL,
    detail         jsonb       NOT NULL DEFAULT '{}',
    occurred_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT declaration_events_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT declaration_events_declaration_fkey FOREIGN KEY (tenant_id, declaration_id)
        REFERENCES declarations (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT declaration_events_type_check CHECK (event_type IN ('created', 'submitted', 'amended', 'status_changed'))
);
CREATE INDEX declaration_events_declaration_idx ON declaration_events (tenant_id, declaration_id, occurred_at);
-- A tenant's activity feed: latest events first.
CREATE INDEX declaration_events_occurred_idx ON declaration_events (tenant_id, occurred_at DESC, id);
