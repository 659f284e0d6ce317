-- Idempotency keys (issue 17, item 3): a row belongs to the caller (user or service principal)
-- that sent the request, and only to them; anon has nothing.
begin;
select plan(8);

insert into auth.users (id, email, aud, role, email_confirmed_at) values
  ('a2000000-0000-4000-8000-000000000001', 'alice@idem.test', 'authenticated', 'authenticated', now()),
  ('a2000000-0000-4000-8000-000000000002', 'bob@idem.test', 'authenticated', 'authenticated', now());

create function pg_temp.act_as(p_user uuid) returns void language sql as $$
  select set_config('role', 'authenticated', true),
         set_config('request.jwt.claims',
                    json_build_object('sub', p_user, 'role', 'authenticated')::text, true);
$$;

select pg_temp.act_as('a2000000-0000-4000-8000-000000000001');
select lives_ok($$insert into public.idempotency_keys (key, fingerprint, method, path)
                  values ('k', repeat('a', 64), 'POST', '/x')$$, 'a user stores a key of their own');
select is((select principal_id from public.idempotency_keys where key = 'k'),
  'a2000000-0000-4000-8000-000000000001'::uuid, 'it is theirs by default');
select throws_ok($$insert into public.idempotency_keys (principal_id, key, fingerprint, method, path)
                   values ('a2000000-0000-4000-8000-000000000002', 'k', repeat('a', 64), 'POST', '/x')$$,
  '42501', null, 'nobody stores a key in another''s name');
reset role;

select pg_temp.act_as('a2000000-0000-4000-8000-000000000002');
select is_empty('select key from public.idempotency_keys', 'another user sees no key of Alice');
select is_empty($$update public.idempotency_keys set state = 'done' returning key$$, 'nor changes one');
select is_empty($$delete from public.idempotency_keys returning key$$, 'nor deletes one');
select lives_ok($$insert into public.idempotency_keys (key, fingerprint, method, path)
                  values ('k', repeat('b', 64), 'POST', '/y')$$, 'the same key is free for Bob');
reset role;

set local role anon;
select throws_ok('select key from public.idempotency_keys', '42501', null, 'anon reads nothing');
reset role;

select * from finish();
rollback;
