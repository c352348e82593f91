-- notification_service baseline: per-tenant message templates and the delivery log (regional).
--
-- notification_log grows with every message and is kept for a limited time, so it is
-- range-partitioned by month of created_at: retention detaches or drops a whole month instead
-- of deleting rows. The primary key contains the partition key, as PostgreSQL requires. Each
-- partition is a table of its own: postgresql_rls enables, forces and polices every one, so
-- naming a partition directly is isolated exactly like querying the parent. Rows outside the
-- monthly partitions land in notification_log_default; later migrations add months.

CREATE TABLE notification_templates (
    tenant_id  uuid        NOT NULL,
    id         uuid        NOT NULL DEFAULT gen_random_uuid(),
    key        text        NOT NULL,
    channel    text        NOT NULL,
    locale     text        NOT NULL DEFAULT 'en',
    subject    text        NOT NULL DEFAULT '',
    body       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT notification_templates_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT notification_templates_key_key UNIQUE (tenant_id, key, channel, locale),
    CONSTRAINT notification_templates_channel_check CHECK (channel IN ('email', 'sms', 'webhook', 'in_app')),
    CONSTRAINT notification_templates_locale_check CHECK (locale ~ '^[a-z]{2}(-[A-Z]{2})?$')
);

CREATE TABLE notification_log (
    tenant_id   uuid        NOT NULL,
    id          uuid        NOT NULL DEFAULT gen_random_uuid(),
    template_id uuid        NOT NULL,
    recipient   text        NOT NULL,
    status      text        NOT NULL DEFAULT 'queued',
    error       text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz,
    CONSTRAINT notification_log_pkey PRIMARY KEY (tenant_id, id, created_at),
    CONSTRAINT notification_log_template_fkey FOREIGN KEY (tenant_id, template_id)
        REFERENCES notification_templates (tenant_id, id) ON DELETE RESTRICT,
    CONSTRAINT notification_log_status_check CHECK (status IN ('queued', 'sent', 'failed'))
) PARTITION BY RANGE (created_at);

CREATE TABLE notification_log_2026_01 PARTITION OF notification_log FOR VALUES FROM ('2026-01-01 00:00Z') TO ('2026-02-01 00:00Z');
CREATE TABLE notification_log_2026_02 PARTITION OF notification_log FOR VALUES FROM ('2026-02-01 00:00Z') TO ('2026-03-01 00:00Z');
CREATE TABLE notification_log_2026_03 PARTITION OF notification_log FOR VALUES FROM ('2026-03-01 00:00Z') TO ('2026-04-01 00:00Z');
CREATE TABLE notification_log_default PARTITION OF notification_log DEFAULT;
CREATE INDEX notification_log_template_idx ON notification_log (tenant_id, template_id);
CREATE INDEX notification_log_created_idx ON notification_log (tenant_id, created_at DESC);
