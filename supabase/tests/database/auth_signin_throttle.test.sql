-- The sign-in throttle counters of the local auth adapter (migration 20261206110000): private to
-- the auth server. They exist only where the migration owner owns auth.users (the local
-- bootstrap); on a Supabase project, where Supabase Auth throttles sign-ins, the file skips.
begin;
select plan(6);

select case when to_regclass('auth.signin_failures_by_address') is null then
  collect_tap(skip('the sign-in throttle tables exist only where the local auth adapter is the auth server', 6))
else collect_tap(
  ok((select relrowsecurity and relforcerowsecurity from pg_class
      where oid = to_regclass('auth.signin_failures_by_address')),
     'per-address counters: row level security enabled and forced'),
  ok((select count(*) = 1 from pg_policies
      where schemaname = 'auth' and tablename = 'signin_failures_by_address'
        and roles = array[current_user]::name[]),
     'per-address counters: the one policy admits only the owning role'),
  ok(not has_table_privilege('anon', to_regclass('auth.signin_failures_by_address'),
                             'select, insert, update, delete'),
     'anon has no privilege on the per-address counters'),
  ok(not has_table_privilege('authenticated', to_regclass('auth.signin_failures_by_address'),
                             'select, insert, update, delete'),
     'authenticated has no privilege on the per-address counters'),
  ok(not has_table_privilege('service_role', to_regclass('auth.signin_failures_by_address'),
                             'select, insert, update, delete'),
     'service_role has no privilege on the per-address counters'),
  ok(not has_table_privilege('authenticated', to_regclass('auth.signin_failures'),
                             'select, insert, update, delete'),
     'authenticated has no privilege on the per-e-mail counters')
) end;

select * from finish();
rollback;
