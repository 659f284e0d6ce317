-- InvoiceFlow core schema: tenants, members, files, invoices, vendor master, purchase orders,
-- goods receipts, matches, match profiles, audit log, extraction cache.
--
-- Every tenant-owned table carries client_id, and every reference between tenant-owned rows is a
-- composite foreign key (client_id, x_id) -> (client_id, id): foreign-key checks bypass RLS, so
-- this is what stops a row of one client from pointing at a row of another.
-- Row level security, policies and grants are in the next migration.

create extension if not exists pg_trgm with schema extensions;

create type public.member_role as enum ('owner', 'operator', 'analyst', 'viewer');

create or replace function public.set_updated_at() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end
$$;

-- Tenants -----------------------------------------------------------------------------------
create table public.clients (
  id uuid primary key default gen_random_uuid(),
  name text not null check (char_length(btrim(name)) between 1 and 200),
  settings jsonb not null default '{}'::jsonb,
  created_by uuid references auth.users (id) on delete set null default auth.uid(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create trigger clients_updated_at before update on public.clients
  for each row execute function public.set_updated_at();

create table public.client_members (
  client_id uuid not null references public.clients (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  role public.member_role not null,
  invited_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (client_id, user_id)
);
create index client_members_user_idx on public.client_members (user_id, client_id);
create trigger client_members_updated_at before update on public.client_members
  for each row execute function public.set_updated_at();

-- Files and upload batches ------------------------------------------------------------------
create table public.batches (
  id uuid primary key default gen_random_uuid(),
  client_id uuid not null references public.clients (id) on delete cascade,
  name text,
  file_count integer not null default 0 check (file_count >= 0),
  status text not null default 'open' check (status in ('open', 'processing', 'done')),
  created_by uuid references auth.users (id) on delete set null default auth.uid(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (client_id, id)
);
create index batches_client_created_idx on public.batches (client_id, created_at desc);
create trigger batches_updated_at before update on public.batches
  for each row execute function public.set_updated_at();

create table public.files (
  id uuid primary key default gen_random_uuid(),
  client_id uuid not null references public.clients (id) on delete cascade,
  bucket text not null default 'invoices',
  object_key text not null check (char_length(object_key) between 1 and 1024),
  original_name text not null check (char_length(original_name) between 1 and 255),
  content_type text not null,
  size_bytes bigint not null check (size_bytes >= 0),
  sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
  uploaded_by uuid references auth.users (id) on delete set null default auth.uid(),
  created_at timestamptz not null default now(),
  unique (client_id, sha256),
  unique (bucket, object_key),
  unique (client_id, id)
);
create index files_sha256_idx on public.files (sha256);

-- Vendor master and purchasing --------------------------------------------------------------
create table public.vendors (
  id uuid primary key default gen_random_uuid(),
  client_id uuid not null references public.clients (id) on delete cascade,
  external_id text,
  name text not null check (char_length(btrim(name)) between 1 and 300),
  aliases text[] not null default '{}',
  vat_id text,
  tax_id text,
  iban text,
  bic text,
  email text,
  address text,
  postal_code text,
  city text,
  country text check (country is null or country ~ '^[A-Z]{2}$'),
  default_currency text check (default_currency is null or default_currency ~ '^[A-Z]{3}$'),
  is_active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (client_id, external_id),
  unique (client_id, id)
);
create index vendors_client_name_idx on public.vendors (client_id, name);
create index vendors_name_trgm_idx on public.vendors using gin (name extensions.gin_trgm_ops);
create index vendors_client_vat_idx on public.vendors (client_id, vat_id) where vat_id is not null;
create index vendors_client_iban_idx on public.vendors (client_id, iban) where iban is not null;
create trigger vendors_updated_at before update on public.vendors
  for each row execute function public.set_updated_at();

create table public.purchase_orders (
  id uuid primary key default gen_random_uuid(),
  client_id uuid not null references public.clients (id) on delete cascade,
  vendor_id uuid,
  po_number text not null check (char_length(btrim(po_number)) between 1 and 100),
  status text not null default 'open' check (status in ('open', 'closed')),
  order_date date,
  currency text not null default 'EUR' check (currency ~ '^[A-Z]{3}$'),
  total numeric(18, 4),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (client_id, po_number),
  unique (client_id, id),
  foreign key (client_id, vendor_id) references public.vendors (client_id, id)
    on delete set null (vendor_id)
);
create index purchase_orders_client_vendor_idx on public.purchase_orders (client_id, vendor_id);
create index purchase_orders_client_status_idx on public.purchase_orders (client_id, status);
create trigger purchase_orders_updated_at before update on public.purchase_orders
  for each row execute function public.set_updated_at();

create table public.purchase_order_lines (
  id uuid primary key default gen_random_uuid(),
  client_id uuid not null references public.clients (id) on delete cascade,
  purchase_order_id uuid not null,
  line_no integer not null check (line_no > 0),
  description text,
  product_code text,
  quantity numeric(18, 4),
  unit text,
  unit_price numeric(18, 4),
  amount numeric(18, 4),
  created_at timestamptz not null default now(),
  unique (purchase_order_id, line_no),
  unique (client_id, id),
  foreign key (client_id, purchase_order_id) references public.purchase_orders (client_id, id)
    on delete cascade
);

create table public.goods_receipts (
  id uuid primary key default gen_random_uuid(),
  client_id uuid not null references public.clients (id) on delete cascade,
  purchase_order_id uuid not null,
  receipt_number text not null,
  received_on date,
  created_at timestamptz not null default now(),
  unique (client_id, receipt_number),
  unique (client_id, id),
  foreign key (client_id, purchase_order_id) references public.purchase_orders (client_id, id)
    on delete cascade
);
create index goods_receipts_po_idx on public.goods_receipts (client_id, purchase_order_id);

create table public.goods_receipt_lines (
  id uuid primary key default gen_random_uuid(),
  client_id uuid not null references public.clients (id) on delete cascade,
  goods_receipt_id uuid not null,
  purchase_order_line_id uuid,
  line_no integer not null check (line_no > 0),
  quantity numeric(18, 4) not null,
  created_at timestamptz not null default now(),
  unique (goods_receipt_id, line_no),
  foreign key (client_id, goods_receipt_id) references public.goods_receipts (client_id, id)
    on delete cascade,
  foreign key (client_id, purchase_order_line_id)
    references public.purchase_order_lines (client_id, id) on delete set null (purchase_order_line_id)
);

-- Invoices ----------------------------------------------------------------------------------
create table public.invoices (
  id uuid primary key default gen_random_uuid(),
  client_id uuid not null references public.clients (id) on delete cascade,
  file_id uuid,
  batch_id uuid,
  status text not null default 'received' check (status in (
    'received', 'extracting', 'extracted', 'matched', 'needs_review', 'auto_approved',
    'approved', 'rejected', 'exported', 'failed')),
  failure_reason text,
  -- header fields (typed copies of the extraction, corrected by reviewers)
  vendor_name text,
  vendor_vat_id text,
  vendor_iban text,
  customer_name text,
  customer_vat_id text,
  invoice_number text,
  po_number text,
  document_type text,
  invoice_date date,
  due_date date,
  currency text check (currency is null or currency ~ '^[A-Z]{3}$'),
  subtotal numeric(18, 4),
  tax numeric(18, 4),
  total numeric(18, 4),
  amount_due numeric(18, 4),
  -- extraction provenance
  extraction jsonb,
  extractor text,
  extractor_version text,
  model text,
  prompt_version text,
  confidence numeric(5, 4) check (confidence is null or confidence between 0 and 1),
  -- matching outcome
  vendor_id uuid,
  purchase_order_id uuid,
  match_band text check (match_band is null or match_band in ('auto', 'review', 'reject')),
  match_score numeric(6, 4),
  -- review
  reviewed_by uuid references auth.users (id) on delete set null,
  reviewed_at timestamptz,
  created_by uuid references auth.users (id) on delete set null default auth.uid(),
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (client_id, id),
  foreign key (client_id, file_id) references public.files (client_id, id)
    on delete set null (file_id),
  foreign key (client_id, batch_id) references public.batches (client_id, id)
    on delete set null (batch_id),
  foreign key (client_id, vendor_id) references public.vendors (client_id, id)
    on delete set null (vendor_id),
  foreign key (client_id, purchase_order_id) references public.purchase_orders (client_id, id)
    on delete set null (purchase_order_id)
);
create index invoices_client_status_created_idx
  on public.invoices (client_id, status, created_at desc);
create index invoices_client_created_idx on public.invoices (client_id, created_at desc);
create index invoices_client_vendor_idx on public.invoices (client_id, vendor_id);
create index invoices_client_date_idx on public.invoices (client_id, invoice_date);
create index invoices_client_total_idx on public.invoices (client_id, total);
create index invoices_client_band_idx on public.invoices (client_id, match_band);
create index invoices_client_number_idx on public.invoices (client_id, invoice_number);
create index invoices_batch_idx on public.invoices (batch_id) where batch_id is not null;
create index invoices_file_idx on public.invoices (file_id);
create index invoices_vendor_name_trgm_idx
  on public.invoices using gin (vendor_name extensions.gin_trgm_ops);

-- Optimistic locking: every update bumps version; writers add "where version = :seen".
create or replace function public.bump_version() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.version := old.version + 1;
  new.updated_at := now();
  return new;
end
$$;
create trigger invoices_bump_version before update on public.invoices
  for each row execute function public.bump_version();

create table public.invoice_lines (
  id uuid primary key default gen_random_uuid(),
  client_id uuid not null references public.clients (id) on delete cascade,
  invoice_id uuid not null,
  line_no integer not null check (line_no > 0),
  description text,
  product_code text,
  quantity numeric(18, 4),
  unit text,
  unit_price numeric(18, 4),
  amount numeric(18, 4),
  tax_rate numeric(7, 4),
  created_at timestamptz not null default now(),
  unique (invoice_id, line_no),
  foreign key (client_id, invoice_id) references public.invoices (client_id, id) on delete cascade
);

-- Matching ----------------------------------------------------------------------------------
create table public.match_profiles (
  id uuid primary key default gen_random_uuid(),
  client_id uuid not null references public.clients (id) on delete cascade,
  version integer not null check (version > 0),
  name text not null,
  profile jsonb not null,
  is_active boolean not null default false,
  notes text,
  created_by uuid references auth.users (id) on delete set null default auth.uid(),
  created_at timestamptz not null default now(),
  unique (client_id, version)
);
create unique index match_profiles_one_active_idx
  on public.match_profiles (client_id) where is_active;

create table public.matches (
  id uuid primary key default gen_random_uuid(),
  client_id uuid not null references public.clients (id) on delete cascade,
  invoice_id uuid not null,
  kind text not null check (kind in ('vendor', 'purchase_order', 'duplicate')),
  vendor_id uuid,
  purchase_order_id uuid,
  duplicate_of_invoice_id uuid,
  score numeric(6, 4),
  band text not null check (band in ('auto', 'review', 'reject')),
  reason text not null default '',
  profile_version integer,
  status text not null default 'proposed'
    check (status in ('proposed', 'confirmed', 'overridden', 'rejected')),
  decided_by uuid references auth.users (id) on delete set null,
  decided_at timestamptz,
  candidates jsonb not null default '[]'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  foreign key (client_id, invoice_id) references public.invoices (client_id, id) on delete cascade,
  foreign key (client_id, vendor_id) references public.vendors (client_id, id)
    on delete set null (vendor_id),
  foreign key (client_id, purchase_order_id) references public.purchase_orders (client_id, id)
    on delete set null (purchase_order_id),
  foreign key (client_id, duplicate_of_invoice_id) references public.invoices (client_id, id)
    on delete set null (duplicate_of_invoice_id)
);
create index matches_invoice_kind_idx on public.matches (invoice_id, kind);
create index matches_client_band_status_idx on public.matches (client_id, band, status);
create trigger matches_updated_at before update on public.matches
  for each row execute function public.set_updated_at();

-- Extraction cache (file SHA-256 + extractor version + model) --------------------------------
create table public.extraction_cache (
  id uuid primary key default gen_random_uuid(),
  client_id uuid not null references public.clients (id) on delete cascade,
  cache_key text not null check (char_length(cache_key) between 1 and 300),
  sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
  extractor_version text not null,
  model text,
  result jsonb not null,
  created_at timestamptz not null default now(),
  unique (client_id, cache_key)
);

-- Audit log (append-only) -------------------------------------------------------------------
-- No foreign keys on purpose: an ON DELETE action would have to update or delete audit rows.
-- Deleting a client therefore leaves its audit trail in place (invisible to everyone through RLS).
create table public.audit_events (
  id bigint generated always as identity primary key,
  client_id uuid not null,
  invoice_id uuid,
  actor_id uuid default auth.uid(),
  action text not null check (char_length(action) between 1 and 100),
  before jsonb,
  after jsonb,
  meta jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now()
);
create index audit_events_client_created_idx on public.audit_events (client_id, created_at desc);
create index audit_events_invoice_idx on public.audit_events (invoice_id, created_at)
  where invoice_id is not null;

create or replace function public.audit_events_are_append_only() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception 'audit_events is append-only (% refused)', tg_op
    using errcode = 'insufficient_privilege';
end
$$;
create trigger audit_events_no_update before update or delete on public.audit_events
  for each row execute function public.audit_events_are_append_only();
create trigger audit_events_no_truncate before truncate on public.audit_events
  for each statement execute function public.audit_events_are_append_only();
