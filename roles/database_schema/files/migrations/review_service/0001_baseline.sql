-- review_service baseline: four-eyes reviews of declarations (regional). A review names its
-- declaration and reviewer by id; both live in other databases, so there is no foreign key
-- to them, only tenant-scoped indexes.

CREATE TABLE reviews (
    tenant_id      uuid        NOT NULL,
    id             uuid        NOT NULL DEFAULT gen_random_uuid(),
    declaration_id uuid        NOT NULL,
    reviewer_id    uuid        NOT NULL,
    status         text        NOT NULL DEFAULT 'pending',
    decision_note  text        NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now(),
    decided_at     timestamptz,
    CONSTRAINT reviews_pkey PRIMARY KEY (tenant_id, id),
    -- one open or decided review per declaration and reviewer
    CONSTRAINT reviews_declaration_reviewer_key UNIQUE (tenant_id, declaration_id, reviewer_id),
    CONSTRAINT reviews_status_check CHECK (status IN ('pending', 'approved', 'rejected', 'escalated')),
    CONSTRAINT reviews_decided_check CHECK ((status = 'pending') = (decided_at IS NULL))
);
CREATE INDEX reviews_reviewer_idx ON reviews (tenant_id, reviewer_id, status);

CREATE TABLE review_comments (
    tenant_id  uuid        NOT NULL,
    id         uuid        NOT NULL DEFAULT gen_random_uuid(),
    review_id  uuid        NOT NULL,
    author_id  uuid        NOT NULL,
    body       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT review_comments_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT review_comments_review_fkey FOREIGN KEY (tenant_id, review_id) REFERENCES reviews (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX review_comments_review_idx ON review_comments (tenant_id, review_id, created_at);
