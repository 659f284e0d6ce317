-- Behaviour of the policies: two clients, a member of each role in client A, a member of B and a
-- stranger; each acts through `set local role authenticated` + request.jwt.claims, as PostgREST.
begin;
select plan(42);

-- Fixtures (as the migration owner; everything is rolled back at the end).
insert into auth.users (id, email, aud, role) values
  ('a0000000-0000-4000-8000-000000000001', 'owner-a@pgtap.test', 'authenticated', 'authenticated'),
  ('a0000000-0000-4000-8000-000000000002', 'operator-a@pgtap.test', 'authenticated', 'authenticated'),
  ('a0000000-0000-4000-8000-000000000003', 'analyst-a@pgtap.test', 'authenticated', 'authenticated'),
  ('a0000000-0000-4000-8000-000000000004', 'viewer-a@pgtap.test', 'authenticated', 'authenticated'),
  ('b0000000-0000-4000-8000-000000000001', 'owner-b@pgtap.test', 'authenticated', 'authenticated'),
  ('c0000000-0000-4000-8000-000000000001', 'stranger@pgtap.test', 'authenticated', 'authenticated');

insert into public.clients (id, name, created_by) values
  ('aaaaaaaa-0000-4000-8000-000000000000', 'Client A', 'a0000000-0000-4000-8000-000000000001'),
  ('bbbbbbbb-0000-4000-8000-000000000000', 'Client B', 'b0000000-0000-4000-8000-000000000001');
insert into public.client_members (client_id, user_id, role) values
  ('aaaaaaaa-0000-4000-8000-000000000000', 'a0000000-0000-4000-8000-000000000002', 'operator'),
  ('aaaaaaaa-0000-4000-8000-000000000000', 'a0000000-0000-4000-8000-000000000003', 'analyst'),
  ('aaaaaaaa-0000-4000-8000-000000000000', 'a0000000-0000-4000-8000-000000000004', 'viewer');

insert into public.vendors (id, client_id, name) values
  ('aaaaaaaa-0000-4000-8000-00000000000e', 'aaaaaaaa-0000-4000-8000-000000000000', 'A Vendor'),
  ('bbbbbbbb-0000-4000-8000-00000000000e', 'bbbbbbbb-0000-4000-8000-000000000000', 'B Vendor');
insert into public.invoices (id, client_id, vendor_id, status) values
  ('aaaaaaaa-0000-4000-8000-0000000000f1', 'aaaaaaaa-0000-4000-8000-000000000000',
   'aaaaaaaa-0000-4000-8000-00000000000e', 'needs_review'),
  ('bbbbbbbb-0000-4000-8000-0000000000f1', 'bbbbbbbb-0000-4000-8000-000000000000',
   'bbbbbbbb-0000-4000-8000-00000000000e', 'needs_review');
insert into public.audit_events (client_id, invoice_id, action) values
  ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000f1', 'seeded'),
  ('bbbbbbbb-0000-4000-8000-000000000000', 'bbbbbbbb-0000-4000-8000-0000000000f1', 'seeded');
insert into storage.objects (bucket_id, name) values
  ('invoices', 'aaaaaaaa-0000-4000-8000-000000000000/2026/11/26/a.pdf'),
  ('invoices', 'bbbbbbbb-0000-4000-8000-000000000000/2026/11/26/b.pdf');

select ok(
  exists (select 1 from public.client_members
          where client_id = 'aaaaaaaa-0000-4000-8000-000000000000'
            and user_id = 'a0000000-0000-4000-8000-000000000001' and role = 'owner'),
  'the creator of a client becomes its owner'
);

-- Act as a user: role + claims, transaction-local like PostgREST.
create function pg_temp.act_as(p_user uuid) returns void language sql as $$
  select set_config('role', 'authenticated', true),
         set_config('request.jwt.claims',
                    json_build_object('sub', p_user, 'role', 'authenticated')::text, true);
$$;

-- Viewer of A -------------------------------------------------------------------------------
select pg_temp.act_as('a0000000-0000-4000-8000-000000000004');
select results_eq('select name from public.clients', array['Client A'], 'viewer sees only client A');
select results_eq('select count(*)::int from public.invoices', array[1], 'viewer sees A''s invoice only');
select results_eq('select count(*)::int from public.vendors where client_id = ''bbbbbbbb-0000-4000-8000-000000000000''',
  array[0], 'viewer sees no vendor of B');
select results_eq('select count(*)::int from storage.objects', array[1], 'viewer sees A''s object only');
select throws_ok(
  $$insert into public.vendors (client_id, name) values ('aaaaaaaa-0000-4000-8000-000000000000', 'x')$$,
  '42501', null, 'viewer cannot insert vendors');
select is_empty(
  $$update public.invoices set invoice_number = 'x' returning id$$, 'viewer updates no invoice');
select throws_ok($$update public.invoices set status = 'approved'$$, '42501', null,
  'viewer cannot set a status by table access');
select is_empty($$delete from public.vendors returning id$$, 'viewer deletes no vendor');
select throws_ok(
  $$insert into storage.objects (bucket_id, name) values ('invoices', 'aaaaaaaa-0000-4000-8000-000000000000/x.pdf')$$,
  '42501', null, 'viewer cannot upload');
select throws_ok(
  $$insert into public.audit_events (client_id, action) values ('aaaaaaaa-0000-4000-8000-000000000000', 'x')$$,
  '42501', null, 'viewer cannot write audit events');
reset role;

-- Operator of A -----------------------------------------------------------------------------
select pg_temp.act_as('a0000000-0000-4000-8000-000000000002');
select lives_ok(
  $$insert into public.vendors (client_id, name) values ('aaaaaaaa-0000-4000-8000-000000000000', 'New A Vendor')$$,
  'operator inserts vendors in A');
select isnt_empty(
  $$update public.invoices set invoice_number = 'A-1' where client_id = 'aaaaaaaa-0000-4000-8000-000000000000' returning id$$,
  'operator corrects a plain field of A''s invoice in review');
select throws_ok(
  $$update public.invoices set status = 'approved' where client_id = 'aaaaaaaa-0000-4000-8000-000000000000'$$,
  '42501', null, 'operator cannot set a status by table access (only public.invoice_transition)');
select is_empty(
  $$update public.invoices set invoice_number = 'B-1' where client_id = 'bbbbbbbb-0000-4000-8000-000000000000' returning id$$,
  'operator cannot update B''s invoice');
select throws_ok(
  $$insert into public.vendors (client_id, name) values ('bbbbbbbb-0000-4000-8000-000000000000', 'x')$$,
  '42501', null, 'operator cannot insert into B');
select lives_ok(
  $$insert into storage.objects (bucket_id, name) values ('invoices', 'aaaaaaaa-0000-4000-8000-000000000000/2026/11/26/new.pdf')$$,
  'operator uploads into A''s folder');
select throws_ok(
  $$insert into storage.objects (bucket_id, name) values ('invoices', 'bbbbbbbb-0000-4000-8000-000000000000/2026/11/26/new.pdf')$$,
  '42501', null, 'operator cannot upload into B''s folder');
select throws_ok(
  $$insert into public.match_profiles (client_id, version, name, profile) values ('aaaaaaaa-0000-4000-8000-000000000000', 1, 'p', '{}')$$,
  '42501', null, 'operator cannot write match profiles');
select throws_ok(
  $$insert into public.client_members (client_id, user_id, role) values ('aaaaaaaa-0000-4000-8000-000000000000', 'c0000000-0000-4000-8000-000000000001', 'viewer')$$,
  '42501', null, 'operator cannot add members');
select throws_ok(
  $$insert into public.audit_events (client_id, action) values ('aaaaaaaa-0000-4000-8000-000000000000', 'status.approved')$$,
  '42501', null, 'operator cannot write audit events (doors and triggers write them)');
select throws_ok(
  $$insert into public.audit_events (client_id, actor_id, action) values ('aaaaaaaa-0000-4000-8000-000000000000', 'a0000000-0000-4000-8000-000000000004', 'x')$$,
  '42501', null, 'operator cannot write audit events in another user''s name');
select throws_ok($$update public.audit_events set action = 'x'$$, '42501', null,
  'audit events cannot be updated');
select throws_ok($$delete from public.audit_events$$, '42501', null,
  'audit events cannot be deleted');
reset role;

-- Analyst of A ------------------------------------------------------------------------------
select pg_temp.act_as('a0000000-0000-4000-8000-000000000003');
select lives_ok(
  $$insert into public.match_profiles (client_id, version, name, profile) values ('aaaaaaaa-0000-4000-8000-000000000000', 1, 'tuned', '{"auto": 0.9}')$$,
  'analyst writes match profiles');
select throws_ok($$update public.invoices set status = 'rejected'$$, '42501', null,
  'analyst does not change invoices');
select throws_ok(
  $$insert into public.audit_events (client_id, action) values ('aaaaaaaa-0000-4000-8000-000000000000', 'x')$$,
  '42501', null, 'analyst cannot write audit events');
reset role;

-- Owner of A --------------------------------------------------------------------------------
select pg_temp.act_as('a0000000-0000-4000-8000-000000000001');
select throws_ok(
  $$insert into public.client_members (client_id, user_id, role) values ('aaaaaaaa-0000-4000-8000-000000000000', 'c0000000-0000-4000-8000-000000000001', 'viewer')$$,
  '42501', null, 'owner cannot add a member without their consent (invitations)');
select isnt_empty(
  $$delete from public.client_members where user_id = 'a0000000-0000-4000-8000-000000000004' returning user_id$$,
  'owner removes a member');
select throws_ok(
  $$delete from public.client_members where user_id = 'a0000000-0000-4000-8000-000000000001'$$,
  '23514', null, 'the last owner cannot be removed');
select is_empty(
  $$update public.clients set name = 'Mine now' where id = 'bbbbbbbb-0000-4000-8000-000000000000' returning id$$,
  'owner of A cannot rename B');
select throws_ok(
  $$insert into public.purchase_orders (client_id, vendor_id, po_number) values ('aaaaaaaa-0000-4000-8000-000000000000', 'bbbbbbbb-0000-4000-8000-00000000000e', 'PO-X')$$,
  '23503', null, 'a purchase order of A cannot point at a vendor of B');
reset role;

-- Stranger (signed in, member of nothing) ---------------------------------------------------
select pg_temp.act_as('c0000000-0000-4000-8000-000000000001');
select is_empty('select id from public.clients', 'stranger sees no client');
select is_empty('select id from public.invoices', 'stranger sees no invoice');
select is_empty('select id from public.audit_events', 'stranger sees no audit event');
select is_empty('select id from storage.objects', 'stranger sees no stored object');
select throws_ok($$insert into public.clients (name) values ('Stranger Co')$$, '42501', null,
  'clients are not inserted by table access');
select lives_ok($$select public.create_client('Stranger Co')$$,
  'any signed-in user may create a client through public.create_client');
select results_eq('select name from public.clients', array['Stranger Co'],
  '... and then sees it (as its owner)');
reset role;

-- Anonymous ---------------------------------------------------------------------------------
-- Supabase grants anon SELECT on storage.objects (the storage service needs it), the local
-- bootstrap does not: either way anon must see no object.
create function pg_temp.visible_objects() returns bigint language plpgsql as $$
begin
  return (select count(*) from storage.objects);
exception when insufficient_privilege then
  return 0;
end
$$;
select set_config('role', 'anon', true);
select throws_ok('select count(*) from public.invoices', '42501', null, 'anon cannot read invoices');
select throws_ok('select count(*) from public.clients', '42501', null, 'anon cannot read clients');
select is(pg_temp.visible_objects(), 0::bigint, 'anon sees no stored object');
reset role;

select * from finish();
rollback;
