-- analytics_service baseline: per-tenant daily aggregates (regional), written by a batch job
-- through the app role with the tenant set, read by dashboards.

CREATE TABLE daily_aggregates (
    tenant_id  uuid          NOT NULL,
    id         uuid          NOT NULL DEFAULT gen_random_uuid(),
    day        date          NOT NULL,
    metric     text          NOT NULL,
    dimension  text          NOT NULL DEFAULT '',
    value      numeric(20,4) NOT NULL,
    updated_at timestamptz   NOT NULL DEFAULT now(),
    CONSTRAINT daily_aggregates_pkey PRIMARY KEY (tenant_id, id),
    -- the batch job upserts on this key (ON CONFLICT ... DO UPDATE)
    CONSTRAINT daily_aggregates_day_metric_key UNIQUE (tenant_id, day, metric, dimension),
    CONSTRAINT daily_aggregates_metric_check CHECK (metric ~ '^[a-z][a-z0-9_]*$')
);
