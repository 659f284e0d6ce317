-- Sign-in failure counters for the LOCAL auth adapter (core/auth/local_auth.py), kept in the
-- database so the slowdown after repeated failures holds across every process and machine that
-- shares it.
--
-- Only created where we are the auth server, i.e. where the connecting role owns auth.users (the
-- local bootstrap). On a Supabase project auth.users belongs to supabase_auth_admin, Supabase
-- Auth throttles sign-ins itself, and the auth schema is not ours to change: nothing happens.
-- No grants: only the owner (the local auth adapter's connection) touches this table.
do $$
begin
  if exists (
    select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'auth' and c.relname = 'users' and pg_get_userbyid(c.relowner) = current_user
  ) then
    create table if not exists auth.signin_failures (
      email text primary key,
      failures integer not null default 0 check (failures >= 0),
      last_failure_at timestamptz not null default now()
    );
    alter table auth.signin_failures enable row level security;
    revoke all on table auth.signin_failures from public, anon, authenticated, service_role;
  end if;
end
$$;
