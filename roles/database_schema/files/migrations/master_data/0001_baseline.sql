-- master_data baseline: shared reference data (global tier). Issuers and securities are the
-- same for every tenant, so no table here has a tenant_id and row-level security does not
-- apply; the app role reads them, only platform administrators write them.

CREATE TABLE issuers (
    id           uuid        NOT NULL DEFAULT gen_random_uuid(),
    lei          text        NOT NULL,
    name         text        NOT NULL,
    country_code text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT issuers_pkey PRIMARY KEY (id),
    CONSTRAINT issuers_lei_key UNIQUE (lei),
    -- ISO 17442: 18 alphanumerics + 2 check digits
    CONSTRAINT issuers_lei_check CHECK (lei ~ '^[A-Z0-9]{18}[0-9]{2}$'),
    CONSTRAINT issuers_country_code_check CHECK (country_code ~ '^[A-Z]{2}$')
);

CREATE TABLE securities (
    isin          text        NOT NULL,
    issuer_id     uuid        NOT NULL,
    name          text        NOT NULL,
    security_type text        NOT NULL,
    currency      text        NOT NULL,
    listed        boolean     NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT securities_pkey PRIMARY KEY (isin),
    CONSTRAINT securities_issuer_fkey FOREIGN KEY (issuer_id) REFERENCES issuers (id),
    -- ISO 6166: country prefix, 9 alphanumerics, check digit
    CONSTRAINT securities_isin_check CHECK (isin ~ '^[A-Z]{2}[A-Z0-9]{9}[0-9]$'),
    CONSTRAINT securities_type_check CHECK (security_type IN ('equity', 'bond', 'fund', 'derivative')),
    CONSTRAINT securities_currency_check CHECK (currency ~ '^[A-Z]{3}$')
);
CREATE INDEX securities_issuer_idx ON securities (issuer_id);
