-- user_service baseline: user accounts, roles and role assignments (regional tier).
-- Every table is tenant data: tenant_id leads every key, unique constraint, foreign key and
-- index, so row-level security (added by postgresql_rls) isolates tenants and no constraint
-- can answer "does this value exist for another tenant?".

CREATE TABLE users (
    tenant_id    uuid        NOT NULL,
    id           uuid        NOT NULL DEFAULT gen_random_uuid(),
    email        text        NOT NULL,
    display_name text        NOT NULL,
    status       text        NOT NULL DEFAULT 'active',
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT users_email_check CHECK (email ~ '^[^@\s]+@[^@\s]+$'),
    CONSTRAINT users_status_check CHECK (status IN ('invited', 'active', 'disabled'))
);
-- Case-insensitive e-mail, unique within a tenant only: the same address may exist in two tenants.
CREATE UNIQUE INDEX users_email_key ON users (tenant_id, lower(email));

CREATE TABLE roles (
    tenant_id   uuid        NOT NULL,
    id          uuid        NOT NULL DEFAULT gen_random_uuid(),
    name        text        NOT NULL,
    description text        NOT NULL DEFAULT '',
    permissions text[]      NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT roles_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT roles_name_key UNIQUE (tenant_id, name)
);

CREATE TABLE user_roles (
    tenant_id  uuid        NOT NULL,
    id         uuid        NOT NULL DEFAULT gen_random_uuid(),
    user_id    uuid        NOT NULL,
    role_id    uuid        NOT NULL,
    granted_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT user_roles_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT user_roles_user_role_key UNIQUE (tenant_id, user_id, role_id),
    CONSTRAINT user_roles_user_fkey FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT user_roles_role_fkey FOREIGN KEY (tenant_id, role_id) REFERENCES roles (tenant_id, id) ON DELETE CASCADE
);
-- Foreign keys are not indexed automatically; (tenant_id, user_id) is covered by the unique key.
CREATE INDEX user_roles_role_idx ON user_roles (tenant_id, role_id);
