-- Sign-in lockout keyed by e-mail AND client address, for the LOCAL auth adapter
-- (core/auth/local_auth.py, finding F6).
--
-- auth.signin_failures (20261126071000) stays the e-mail-wide counter, which now only slows an
-- address down (capped), never locks it; this table holds the per (e-mail, address) counter that
-- locks. Addresses are normalised by the adapter (IPv4 as is, IPv6 by its /64 network).
--
-- Like the earlier table, it exists only where we are the auth server, i.e. where the connecting
-- role owns auth.users (the local bootstrap). On a Supabase project Supabase Auth throttles
-- sign-ins itself and the auth schema is not ours: nothing happens. No grants; RLS is forced and
-- the one policy admits only the owning role (the local auth adapter's connection), so a grant
-- added by mistake later still exposes nothing to anon, authenticated or service_role.
do $$
begin
  if exists (
    select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'auth' and c.relname = 'users' and pg_get_userbyid(c.relowner) = current_user
  ) then
    create table if not exists auth.signin_failures_by_address (
      email text not null,
      client_address text not null,
      failures integer not null default 0 check (failures >= 0),
      last_failure_at timestamptz not null default now(),
      primary key (email, client_address)
    );
    -- The sweep of stale counters runs on every sign-in attempt: keep it an index range scan.
    create index if not exists signin_failures_by_address_last_failure_idx
      on auth.signin_failures_by_address (last_failure_at);
    create index if not exists signin_failures_last_failure_idx
      on auth.signin_failures (last_failure_at);
    alter table auth.signin_failures_by_address enable row level security;
    alter table auth.signin_failures_by_address force row level security;
    if not exists (
      select 1 from pg_policies
      where schemaname = 'auth' and tablename = 'signin_failures_by_address'
        and policyname = 'signin_failures_by_address_owner_only'
    ) then
      execute format(
        'create policy signin_failures_by_address_owner_only on auth.signin_failures_by_address'
        ' for all to %I using (true) with check (true)', current_user);
    end if;
    revoke all on table auth.signin_failures_by_address
      from public, anon, authenticated, service_role;
  end if;
end
$$;
