-- Learned aliases (issue 14): the teacher's e-mail is stamped by the database, never written by
-- users, and the invoice an alias was learned from belongs to the alias's client.
begin;
select plan(6);

select has_column('public', 'vendor_aliases', 'learned_from', 'vendor_aliases.learned_from exists');
select ok(not has_column_privilege('authenticated', 'public.vendor_aliases', 'learned_from', 'insert'),
          'users do not write learned_from (the database stamps it)');
select ok(has_column_privilege('authenticated', 'public.vendor_aliases', 'source_invoice_id', 'insert'),
          'writers may cite the invoice an alias was learned from');

insert into auth.users (id, email, aud, role) values
  ('a2000000-0000-4000-8000-000000000001', 'owner-a@learn.test', 'authenticated', 'authenticated'),
  ('a2000000-0000-4000-8000-000000000002', 'operator-a@learn.test', 'authenticated', 'authenticated'),
  ('b2000000-0000-4000-8000-000000000001', 'owner-b@learn.test', 'authenticated', 'authenticated');
insert into public.clients (id, name, created_by) values
  ('aaaaaaaa-2000-4000-8000-000000000000', 'Learn A', 'a2000000-0000-4000-8000-000000000001'),
  ('bbbbbbbb-2000-4000-8000-000000000000', 'Learn B', 'b2000000-0000-4000-8000-000000000001');
insert into public.client_members (client_id, user_id, role) values
  ('aaaaaaaa-2000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000002', 'operator');
insert into public.vendors (id, client_id, name) values
  ('aaaaaaaa-2000-4000-8000-00000000000e', 'aaaaaaaa-2000-4000-8000-000000000000', 'Acme');
insert into public.invoices (id, client_id) values
  ('aaaaaaaa-2000-4000-8000-0000000000a1', 'aaaaaaaa-2000-4000-8000-000000000000'),
  ('bbbbbbbb-2000-4000-8000-0000000000b1', 'bbbbbbbb-2000-4000-8000-000000000000');

create function pg_temp.act_as(p_user uuid) returns void language sql as $$
  select set_config('role', 'authenticated', true),
         set_config('request.jwt.claims',
                    json_build_object('sub', p_user, 'role', 'authenticated')::text, true);
$$;

select pg_temp.act_as('a2000000-0000-4000-8000-000000000002');
select results_eq(
  $$insert into public.vendor_aliases (client_id, vendor_id, value, normalized, source,
      source_invoice_id)
    values ('aaaaaaaa-2000-4000-8000-000000000000', 'aaaaaaaa-2000-4000-8000-00000000000e',
            'ACME Ltd', 'acme', 'learned', 'aaaaaaaa-2000-4000-8000-0000000000a1')
    returning learned_from$$,
  array['operator-a@learn.test'],
  'a learned alias names its teacher, stamped from auth.users');
select throws_ok(
  $$insert into public.vendor_aliases (client_id, vendor_id, value, normalized, source,
      source_invoice_id)
    values ('aaaaaaaa-2000-4000-8000-000000000000', 'aaaaaaaa-2000-4000-8000-00000000000e',
            'ACME Two', 'acme two', 'learned', 'bbbbbbbb-2000-4000-8000-0000000000b1')$$,
  '23503', null, 'an alias cannot cite another client''s invoice');
reset role;

delete from public.invoices where id = 'aaaaaaaa-2000-4000-8000-0000000000a1';
select results_eq(
  $$select source_invoice_id is null and client_id = 'aaaaaaaa-2000-4000-8000-000000000000'
    from public.vendor_aliases where normalized = 'acme'$$,
  array[true],
  'deleting the source invoice keeps the alias and its client, only clears the reference');

select * from finish();
rollback;
