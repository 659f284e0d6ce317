-- API keys (issue 17, item 1): owners create and revoke keys through doors; a key is a service
-- principal that is a member of its one client with the key's role (never owner); the hash is
-- readable by nobody but service_role; a principal's membership changes only by revoking it.
begin;
select plan(19);

insert into auth.users (id, email, aud, role, email_confirmed_at) values
  ('a1000000-0000-4000-8000-000000000001', 'owner@keys.test', 'authenticated', 'authenticated', now()),
  ('a1000000-0000-4000-8000-000000000002', 'operator@keys.test', 'authenticated', 'authenticated', now()),
  ('a1000000-0000-4000-8000-000000000003', 'viewer@keys.test', 'authenticated', 'authenticated', now()),
  ('b1000000-0000-4000-8000-000000000001', 'owner-b@keys.test', 'authenticated', 'authenticated', now());
insert into public.clients (id, name, created_by) values
  ('aaaaaaaa-1000-4000-8000-000000000000', 'Client A', 'a1000000-0000-4000-8000-000000000001'),
  ('bbbbbbbb-1000-4000-8000-000000000000', 'Client B', 'b1000000-0000-4000-8000-000000000001');
insert into public.client_members (client_id, user_id, role) values
  ('aaaaaaaa-1000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000002', 'operator'),
  ('aaaaaaaa-1000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000003', 'viewer');

create function pg_temp.act_as(p_user uuid) returns void language sql as $$
  select set_config('role', 'authenticated', true),
         set_config('request.jwt.claims',
                    json_build_object('sub', p_user, 'role', 'authenticated')::text, true);
$$;

-- The owner creates a key: a principal, a membership with the key's role, an audit event.
select pg_temp.act_as('a1000000-0000-4000-8000-000000000001');
create temp table made on commit drop as
  select * from public.create_api_key('aaaaaaaa-1000-4000-8000-000000000000', ' ERP ', 'operator',
                                      null, 'abcdefabcdef', repeat('1', 64));
select is((select name from made), 'ERP', 'the name is stored trimmed');
select is((select m.role::text from public.client_members m join made k on k.principal_id = m.user_id),
  'operator', 'the principal is a member of the client with the key''s role');
select is((select count(*)::int from public.audit_events where action = 'api_key.created'), 1,
  'creating a key is audited');
select throws_ok($$select key_hash from public.api_keys$$, '42501', null,
  'the owner cannot read the hash');
select is((select count(*)::int from public.api_keys), 1, 'the owner lists the key');
select throws_ok(
  $$select public.create_api_key('aaaaaaaa-1000-4000-8000-000000000000', 'x', 'owner', null,
                                 'ownerownerow', repeat('2', 64))$$,
  '22023', null, 'a key is never an owner');
select throws_ok(
  $$select public.create_api_key('aaaaaaaa-1000-4000-8000-000000000000', 'x', 'viewer',
                                 now() - interval '1 day', 'pastpastpast', repeat('3', 64))$$,
  '22023', null, 'an expiry in the past is refused');
select throws_ok(
  format('update public.client_members set role = %L where user_id = %L', 'owner',
         (select principal_id from made)),
  '42501', null, 'the owner cannot make the key''s principal an owner by table access');
select throws_ok(
  format('delete from public.client_members where user_id = %L', (select principal_id from made)),
  '42501', null, '... nor remove its membership other than by revoking');
reset role;

-- Other roles and clients.
select pg_temp.act_as('a1000000-0000-4000-8000-000000000002');
select throws_ok(
  $$select public.create_api_key('aaaaaaaa-1000-4000-8000-000000000000', 'x', 'viewer', null,
                                 'operatoropxx', repeat('4', 64))$$,
  '42501', null, 'an operator cannot create keys');
select is_empty('select id from public.api_keys', 'an operator does not see the keys');
select throws_ok(format('select public.revoke_api_key(%L)', (select id from made)), '42501', null,
  'an operator cannot revoke a key');
reset role;
select pg_temp.act_as('b1000000-0000-4000-8000-000000000001');
select throws_ok(
  $$select public.create_api_key('aaaaaaaa-1000-4000-8000-000000000000', 'x', 'viewer', null,
                                 'outsideroutx', repeat('5', 64))$$,
  'P0002', null, 'another client''s owner cannot create a key here');
select throws_ok(format('select public.revoke_api_key(%L)', (select id from made)), 'P0002', null,
  '... nor revoke one');
reset role;

-- The principal itself: sees its own key, creates no client and no key.
select pg_temp.act_as((select principal_id from made));
select is((select count(*)::int from public.api_keys), 1, 'a principal sees its own key');
select throws_ok($$select public.create_client('Mine')$$, '42501', null,
  'a principal creates no client');
reset role;

-- Revoking ends the membership at once and bans the principal.
select pg_temp.act_as('a1000000-0000-4000-8000-000000000001');
select lives_ok(format('select public.revoke_api_key(%L)', (select id from made)), 'the owner revokes');
reset role;
select is((select count(*)::int from public.client_members m join made k on k.principal_id = m.user_id),
  0, 'the revoked key''s principal is no member any more');
select is((select banned_until from auth.users u join made k on k.principal_id = u.id),
  'infinity'::timestamptz, 'and it is banned');

select * from finish();
rollback;
