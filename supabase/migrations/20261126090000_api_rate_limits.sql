-- Fixed-window counters for the API's rate limits, shared by every API instance (the shared
-- Postgres is the cross-instance store; there is no Redis in this design). One row per
-- (scope, key, window); expired rows are deleted opportunistically by the API.
-- Only service_role touches it (a named system task of the API); users get nothing.
create table public.api_rate_limits (
  key text primary key check (char_length(key) between 1 and 300),
  count integer not null check (count >= 0),
  expires_at timestamptz not null
);
create index api_rate_limits_expires_idx on public.api_rate_limits (expires_at);

alter table public.api_rate_limits enable row level security;
alter table public.api_rate_limits force row level security;
revoke all on table public.api_rate_limits from public, anon, authenticated;
grant select, insert, update, delete on table public.api_rate_limits to service_role;
