-- The alias store (public.vendor_aliases): members read, owners and operators add and remove as
-- themselves, nobody edits, nothing crosses clients; anon gets nothing.
begin;
select plan(23);

select has_table('public', 'vendor_aliases', 'table public.vendor_aliases exists');
select ok((select relrowsecurity and relforcerowsecurity from pg_class
           where oid = 'public.vendor_aliases'::regclass),
          'vendor_aliases has row level security enabled and forced');
select ok(not has_table_privilege('anon', 'public.vendor_aliases', 'select'),
          'anon has no privilege on vendor_aliases');
select ok(not has_table_privilege('authenticated', 'public.vendor_aliases', 'update'),
          'aliases are never edited by users (no UPDATE grant)');
select ok(not has_column_privilege('authenticated', 'public.vendor_aliases', 'created_by', 'insert'),
          'users do not write created_by (the database does)');

insert into auth.users (id, email, aud, role) values
  ('a1000000-0000-4000-8000-000000000001', 'owner-a@alias.test', 'authenticated', 'authenticated'),
  ('a1000000-0000-4000-8000-000000000002', 'operator-a@alias.test', 'authenticated', 'authenticated'),
  ('a1000000-0000-4000-8000-000000000003', 'analyst-a@alias.test', 'authenticated', 'authenticated'),
  ('a1000000-0000-4000-8000-000000000004', 'viewer-a@alias.test', 'authenticated', 'authenticated'),
  ('b1000000-0000-4000-8000-000000000001', 'owner-b@alias.test', 'authenticated', 'authenticated'),
  ('c1000000-0000-4000-8000-000000000001', 'stranger@alias.test', 'authenticated', 'authenticated');
insert into public.clients (id, name, created_by) values
  ('aaaaaaaa-1000-4000-8000-000000000000', 'Alias A', 'a1000000-0000-4000-8000-000000000001'),
  ('bbbbbbbb-1000-4000-8000-000000000000', 'Alias B', 'b1000000-0000-4000-8000-000000000001');
insert into public.client_members (client_id, user_id, role) values
  ('aaaaaaaa-1000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000002', 'operator'),
  ('aaaaaaaa-1000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000003', 'analyst'),
  ('aaaaaaaa-1000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000004', 'viewer');
insert into public.vendors (id, client_id, name) values
  ('aaaaaaaa-1000-4000-8000-00000000000e', 'aaaaaaaa-1000-4000-8000-000000000000', 'Accenture plc'),
  ('bbbbbbbb-1000-4000-8000-00000000000e', 'bbbbbbbb-1000-4000-8000-000000000000', 'B Vendor');
insert into public.vendor_aliases (client_id, vendor_id, value, normalized, source) values
  ('aaaaaaaa-1000-4000-8000-000000000000', 'aaaaaaaa-1000-4000-8000-00000000000e',
   'Andersen Consulting', 'andersen consulting', 'import'),
  ('bbbbbbbb-1000-4000-8000-000000000000', 'bbbbbbbb-1000-4000-8000-00000000000e',
   'Old B', 'old b', 'import');

create function pg_temp.act_as(p_user uuid) returns void language sql as $$
  select set_config('role', 'authenticated', true),
         set_config('request.jwt.claims',
                    json_build_object('sub', p_user, 'role', 'authenticated')::text, true);
$$;

-- Viewer and analyst of A: read A only, write nothing.
select pg_temp.act_as('a1000000-0000-4000-8000-000000000004');
select results_eq('select value from public.vendor_aliases', array['Andersen Consulting'],
                  'viewer of A reads A''s aliases only');
select throws_ok(
  $$insert into public.vendor_aliases (client_id, vendor_id, value, normalized) values
    ('aaaaaaaa-1000-4000-8000-000000000000', 'aaaaaaaa-1000-4000-8000-00000000000e', 'x', 'x')$$,
  '42501', null, 'viewer cannot add an alias');
select is_empty($$delete from public.vendor_aliases returning id$$, 'viewer removes no alias');
reset role;
select pg_temp.act_as('a1000000-0000-4000-8000-000000000003');
select throws_ok(
  $$insert into public.vendor_aliases (client_id, vendor_id, value, normalized) values
    ('aaaaaaaa-1000-4000-8000-000000000000', 'aaaaaaaa-1000-4000-8000-00000000000e', 'x', 'x')$$,
  '42501', null, 'analyst cannot add an alias');
select is_empty($$delete from public.vendor_aliases returning id$$, 'analyst removes no alias');
reset role;

-- Operator of A: adds and removes in A as themselves; not in B, not in another's name.
select pg_temp.act_as('a1000000-0000-4000-8000-000000000002');
select lives_ok(
  $$insert into public.vendor_aliases (client_id, vendor_id, value, normalized, source) values
    ('aaaaaaaa-1000-4000-8000-000000000000', 'aaaaaaaa-1000-4000-8000-00000000000e',
     'Accenture GmbH', 'accenture', 'manual')$$,
  'operator adds an alias in A');
select results_eq(
  $$select created_by from public.vendor_aliases where normalized = 'accenture'$$,
  array['a1000000-0000-4000-8000-000000000002'::uuid],
  'the alias records who added it');
select throws_ok(
  $$insert into public.vendor_aliases (client_id, vendor_id, value, normalized, created_by) values
    ('aaaaaaaa-1000-4000-8000-000000000000', 'aaaaaaaa-1000-4000-8000-00000000000e', 'y', 'y',
     'a1000000-0000-4000-8000-000000000001')$$,
  '42501', null, 'operator cannot record an alias in another user''s name');
select throws_ok(
  $$insert into public.vendor_aliases (client_id, vendor_id, value, normalized) values
    ('bbbbbbbb-1000-4000-8000-000000000000', 'bbbbbbbb-1000-4000-8000-00000000000e', 'z', 'z')$$,
  '42501', null, 'operator of A cannot add an alias in B');
select throws_ok(
  $$insert into public.vendor_aliases (client_id, vendor_id, value, normalized) values
    ('aaaaaaaa-1000-4000-8000-000000000000', 'bbbbbbbb-1000-4000-8000-00000000000e', 'z', 'z')$$,
  '23503', null, 'an alias of A cannot point at a vendor of B');
select throws_ok(
  $$update public.vendor_aliases set value = 'edited'$$, '42501', null,
  'aliases cannot be edited');
select isnt_empty(
  $$delete from public.vendor_aliases where normalized = 'accenture' returning id$$,
  'operator removes an alias in A');
select results_eq(
  $$select action, actor_id from public.audit_events
    where client_id = 'aaaaaaaa-1000-4000-8000-000000000000' and action like 'vendor.alias_%'
      and actor_id is not null order by id$$,
  $$values ('vendor.alias_added', 'a1000000-0000-4000-8000-000000000002'::uuid),
           ('vendor.alias_removed', 'a1000000-0000-4000-8000-000000000002'::uuid)$$,
  'adding and removing an alias are audited with who did it');
select throws_ok(
  $$insert into public.vendor_aliases (client_id, vendor_id, value, normalized, created_at) values
    ('aaaaaaaa-1000-4000-8000-000000000000', 'aaaaaaaa-1000-4000-8000-00000000000e', 'w', 'w',
     '2000-01-01')$$,
  '42501', null, 'users cannot backdate an alias (column grant)');
select is_empty(
  $$delete from public.vendor_aliases where client_id = 'bbbbbbbb-1000-4000-8000-000000000000' returning id$$,
  'operator of A removes no alias of B');
reset role;

-- Stranger and anon.
select pg_temp.act_as('c1000000-0000-4000-8000-000000000001');
select is_empty('select id from public.vendor_aliases', 'a stranger reads no alias');
reset role;
set local role anon;
select throws_ok('select id from public.vendor_aliases', '42501', null, 'anon cannot read aliases');
reset role;

-- Removing a vendor removes its aliases.
delete from public.vendors where id = 'bbbbbbbb-1000-4000-8000-00000000000e';
select is_empty(
  $$select id from public.vendor_aliases where vendor_id = 'bbbbbbbb-1000-4000-8000-00000000000e'$$,
  'a removed vendor''s aliases go with it');

select * from finish();
rollback;
