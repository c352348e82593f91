-- case_service baseline: compliance cases and their event history (regional).
-- `open_cases` shows the only safe shape of a view over tenant tables: security_invoker, so
-- the querying role's row-level security applies (a default view would run as its owner,
-- and the owner is not subject to the app role's policy).

CREATE TABLE cases (
    tenant_id      uuid        NOT NULL,
    id             uuid        NOT NULL DEFAULT gen_random_uuid(),
    case_number    text        NOT NULL,
    title          text        NOT NULL,
    status         text        NOT NULL DEFAULT 'open',
    priority       text        NOT NULL DEFAULT 'normal',
    declaration_id uuid,
    assignee_id    uuid,
    opened_at      timestamptz NOT NULL DEFAULT now(),
    closed_at      timestamptz,
    CONSTRAINT cases_pkey PRIMARY KEY (tenant_id, id),
    -- case numbers are per tenant (ACME-2026-0001): no global sequence to count other tenants' cases
    CONSTRAINT cases_case_number_key UNIQUE (tenant_id, case_number),
    CONSTRAINT cases_status_check CHECK (status IN ('open', 'investigating', 'escalated', 'closed')),
    CONSTRAINT cases_priority_check CHECK (priority IN ('low', 'normal', 'high', 'critical')),
    CONSTRAINT cases_closed_check CHECK ((status = 'closed') = (closed_at IS NOT NULL))
);
CREATE INDEX cases_status_idx ON cases (tenant_id, status, priority);
CREATE INDEX cases_assignee_idx ON cases (tenant_id, assignee_id);

CREATE TABLE case_events (
    tenant_id   uuid        NOT NULL,
    id          uuid        NOT NULL DEFAULT gen_random_uuid(),
    case_id     uuid        NOT NULL,
    event_type  text        NOT NULL,
    actor_id    uuid,
    detail      jsonb       NOT NULL DEFAULT '{}',
    occurred_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT case_events_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT case_events_case_fkey FOREIGN KEY (tenant_id, case_id) REFERENCES cases (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT case_events_type_check CHECK (event_type IN ('opened', 'assigned', 'comment', 'escalated', 'closed'))
);
CREATE INDEX case_events_case_idx ON case_events (tenant_id, case_id, occurred_at);

CREATE VIEW open_cases WITH (security_invoker = true) AS
    SELECT tenant_id, id, case_number, title, status, priority, assignee_id, opened_at
    FROM cases
    WHERE status <> 'closed';
