-- form_service baseline: form definitions and their immutable published versions (regional).

CREATE TABLE forms (
    tenant_id   uuid        NOT NULL,
    id          uuid        NOT NULL DEFAULT gen_random_uuid(),
    key         text        NOT NULL,
    name        text        NOT NULL,
    description text        NOT NULL DEFAULT '',
    status      text        NOT NULL DEFAULT 'draft',
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT forms_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT forms_key_key UNIQUE (tenant_id, key),
    CONSTRAINT forms_key_check CHECK (key ~ '^[a-z][a-z0-9-]*$'),
    CONSTRAINT forms_status_check CHECK (status IN ('draft', 'active', 'retired'))
);

CREATE TABLE form_versions (
    tenant_id    uuid        NOT NULL,
    id           uuid        NOT NULL DEFAULT gen_random_uuid(),
    form_id      uuid        NOT NULL,
    version      integer     NOT NULL,
    definition   jsonb       NOT NULL,
    published_at timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT form_versions_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT form_versions_form_version_key UNIQUE (tenant_id, form_id, version),
    CONSTRAINT form_versions_form_fkey FOREIGN KEY (tenant_id, form_id) REFERENCES forms (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT form_versions_version_check CHECK (version > 0),
    CONSTRAINT form_versions_definition_check CHECK (jsonb_typeof(definition) = 'object')
);
