-- Idempotency keys (issue 17, item 3): Stripe's semantics for every POST and PATCH.
--
-- One row per (principal, key): the request's fingerprint, whether it is still running, and the
-- response it produced (status, the headers that matter, body). Same key + same request replays
-- the response; same key + another request is refused (422); a request still running with that
-- key is refused (409). Rows live 24 hours; the worker's maintenance task deletes expired ones.
--
-- A row belongs to the user or service principal that sent the request (auth.uid()) and only to
-- them: every policy is principal_id = auth.uid(), so keys never collide between callers and one
-- caller can never see or replay another's response. (Not a client's table: a request may span
-- clients, e.g. a client's creation, so it is keyed by principal.)

create table public.idempotency_keys (
  principal_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  key text not null check (char_length(key) between 1 and 255),
  fingerprint text not null check (fingerprint ~ '^[0-9a-f]{64}$'),
  method text not null check (method in ('POST', 'PATCH')),
  path text not null check (char_length(path) between 1 and 2048),
  state text not null default 'in_flight' check (state in ('in_flight', 'done')),
  status_code integer check (status_code between 100 and 599),
  response_headers jsonb,
  response_body bytea,
  created_at timestamptz not null default now(),
  locked_at timestamptz not null default now(),
  expires_at timestamptz not null default now() + interval '24 hours',
  primary key (principal_id, key)
);
create index idempotency_keys_expires_idx on public.idempotency_keys (expires_at);

alter table public.idempotency_keys enable row level security;
alter table public.idempotency_keys force row level security;
revoke all on table public.idempotency_keys from public, anon, authenticated, service_role;
grant select, insert, update, delete on table public.idempotency_keys to authenticated;
grant select, delete on table public.idempotency_keys to service_role;

create policy idempotency_keys_select on public.idempotency_keys for select to authenticated
  using (principal_id = (select auth.uid()));
create policy idempotency_keys_insert on public.idempotency_keys for insert to authenticated
  with check (principal_id = (select auth.uid()));
create policy idempotency_keys_update on public.idempotency_keys for update to authenticated
  using (principal_id = (select auth.uid()))
  with check (principal_id = (select auth.uid()));
create policy idempotency_keys_delete on public.idempotency_keys for delete to authenticated
  using (principal_id = (select auth.uid()));
