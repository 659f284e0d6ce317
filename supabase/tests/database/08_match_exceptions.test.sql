-- Purchase-order match exceptions (public.match_exceptions): members read their client's, nobody
-- writes the table; public.invoice_record_exceptions replaces an invoice's exceptions only right
-- after the door call that proposed its matches (same user, same transaction), audited.
begin;
select plan(23);

select has_table('public', 'match_exceptions', 'table public.match_exceptions exists');
select ok((select relrowsecurity and relforcerowsecurity from pg_class
           where oid = 'public.match_exceptions'::regclass),
          'match_exceptions has row level security enabled and forced');
select ok(not has_table_privilege('anon', 'public.match_exceptions', 'select'),
          'anon has no privilege on match_exceptions');
select ok(not has_table_privilege('authenticated', 'public.match_exceptions', 'insert')
          and not has_table_privilege('authenticated', 'public.match_exceptions', 'update')
          and not has_table_privilege('authenticated', 'public.match_exceptions', 'delete'),
          'users write no exception directly (no INSERT/UPDATE/DELETE grant)');
select ok(not has_function_privilege('anon', 'public.invoice_record_exceptions(uuid, jsonb)',
                                     'execute'),
          'anon cannot call invoice_record_exceptions');

insert into auth.users (id, email, aud, role) values
  ('a7000000-0000-4000-8000-000000000001', 'owner-a@px.test', 'authenticated', 'authenticated'),
  ('a7000000-0000-4000-8000-000000000002', 'operator-a@px.test', 'authenticated', 'authenticated'),
  ('a7000000-0000-4000-8000-000000000004', 'viewer-a@px.test', 'authenticated', 'authenticated'),
  ('b7000000-0000-4000-8000-000000000001', 'owner-b@px.test', 'authenticated', 'authenticated'),
  ('c7000000-0000-4000-8000-000000000001', 'stranger@px.test', 'authenticated', 'authenticated');
insert into public.clients (id, name, created_by) values
  ('aaaaaaaa-7000-4000-8000-000000000000', 'PX A', 'a7000000-0000-4000-8000-000000000001'),
  ('bbbbbbbb-7000-4000-8000-000000000000', 'PX B', 'b7000000-0000-4000-8000-000000000001');
insert into public.client_members (client_id, user_id, role) values
  ('aaaaaaaa-7000-4000-8000-000000000000', 'a7000000-0000-4000-8000-000000000002', 'operator'),
  ('aaaaaaaa-7000-4000-8000-000000000000', 'a7000000-0000-4000-8000-000000000004', 'viewer');
insert into public.purchase_orders (id, client_id, po_number, total) values
  ('aaaaaaaa-7000-4000-8000-0000000000b0', 'aaaaaaaa-7000-4000-8000-000000000000', 'PO-1', 100);
insert into public.invoices (id, client_id, status, total) values
  ('aaaaaaaa-7000-4000-8000-0000000000e1', 'aaaaaaaa-7000-4000-8000-000000000000', 'extracted',
   110),
  ('aaaaaaaa-7000-4000-8000-0000000000e2', 'aaaaaaaa-7000-4000-8000-000000000000',
   'needs_review', 50),
  ('bbbbbbbb-7000-4000-8000-0000000000e1', 'bbbbbbbb-7000-4000-8000-000000000000',
   'needs_review', 10);
insert into public.match_exceptions (client_id, invoice_id, purchase_order_id, code, line_no,
                                     reason) values
  ('aaaaaaaa-7000-4000-8000-000000000000', 'aaaaaaaa-7000-4000-8000-0000000000e2',
   'aaaaaaaa-7000-4000-8000-0000000000b0', 'line.not_received', 1, 'seeded A'),
  ('bbbbbbbb-7000-4000-8000-000000000000', 'bbbbbbbb-7000-4000-8000-0000000000e1', null,
   'po.not_found', null, 'seeded B');

create function pg_temp.act_as(p_user uuid) returns void language sql as $$
  select set_config('role', 'authenticated', true),
         set_config('request.jwt.claims',
                    json_build_object('sub', p_user, 'role', 'authenticated')::text, true);
$$;

-- Viewer of A: reads A's, writes nothing, cannot record.
select pg_temp.act_as('a7000000-0000-4000-8000-000000000004');
select results_eq('select reason from public.match_exceptions', array['seeded A'],
                  'viewer of A reads A''s exceptions only');
select results_eq(
  $$select code from public.invoice_line_exceptions('aaaaaaaa-7000-4000-8000-0000000000e2')$$,
  array['line.not_received'], 'invoice_line_exceptions lists them as reasons');
select throws_ok(
  $$insert into public.match_exceptions (client_id, invoice_id, code) values
    ('aaaaaaaa-7000-4000-8000-000000000000', 'aaaaaaaa-7000-4000-8000-0000000000e2',
     'po.closed')$$,
  '42501', null, 'viewer cannot insert an exception');
select throws_ok(
  $$select public.invoice_record_exceptions('aaaaaaaa-7000-4000-8000-0000000000e2', '[]')$$,
  '55000', null, 'viewer cannot clear exceptions without a door call');
reset role;

-- Operator of A: cannot clear or add outside a door call; can right after status.matched.
select pg_temp.act_as('a7000000-0000-4000-8000-000000000002');
select throws_ok($$delete from public.match_exceptions$$, '42501', null,
                 'operator cannot delete exceptions (a block is not cleared by hand)');
select throws_ok($$update public.match_exceptions set reason = 'fine'$$, '42501', null,
                 'operator cannot edit exceptions');
select throws_ok(
  $$select public.invoice_record_exceptions('aaaaaaaa-7000-4000-8000-0000000000e2', '[]')$$,
  '55000', null, 'recording without the door call that proposed the matches is refused');
select throws_ok(
  $$select public.invoice_record_exceptions('bbbbbbbb-7000-4000-8000-0000000000e1', '[]')$$,
  'P0002', null, 'an invoice of another client is not found');
select lives_ok(
  $$select public.invoice_transition('aaaaaaaa-7000-4000-8000-0000000000e1', 'status.matched',
    null, '{"match_band": "review", "purchase_order_id": "aaaaaaaa-7000-4000-8000-0000000000b0"}',
    '{}')$$,
  'operator runs the matched door');
select throws_ok(
  $$select public.invoice_record_exceptions('aaaaaaaa-7000-4000-8000-0000000000e1',
    '[{"code": "line.made_up", "line_no": 1}]')$$,
  '23514', null, 'an unknown code is refused');
select throws_ok(
  $$select public.invoice_record_exceptions('aaaaaaaa-7000-4000-8000-0000000000e1',
    '[{"code": "line.price_variance"}]')$$,
  '23514', null, 'a line exception needs its line');
select throws_ok(
  $$select public.invoice_record_exceptions('aaaaaaaa-7000-4000-8000-0000000000e1', '{}')$$,
  '22023', null, 'exceptions must be an array');
select is(
  public.invoice_record_exceptions('aaaaaaaa-7000-4000-8000-0000000000e1',
    '[{"code": "po.amount_variance", "reason": "total 110 vs 100",
       "purchase_order_id": "aaaaaaaa-7000-4000-8000-0000000000b0", "mode": "3-way"},
      {"code": "line.not_received", "line_no": 2, "po_line_no": 1, "quantity": 10,
       "received_quantity": 6, "reason": "billed 10 but only 6 received",
       "client_id": "bbbbbbbb-7000-4000-8000-000000000000"}]'),
  2, 'right after the door call, the operator records two exceptions');
select results_eq(
  $$select client_id, code, line_no, received_quantity from public.match_exceptions
     where invoice_id = 'aaaaaaaa-7000-4000-8000-0000000000e1' order by line_no nulls first$$,
  $$values ('aaaaaaaa-7000-4000-8000-000000000000'::uuid, 'po.amount_variance', null::integer,
            null::numeric),
           ('aaaaaaaa-7000-4000-8000-000000000000'::uuid, 'line.not_received', 2, 6::numeric)$$,
  'they are stored in the invoice''s client (a client_id in the payload is ignored)');
select is(
  public.invoice_record_exceptions('aaaaaaaa-7000-4000-8000-0000000000e1',
    '[{"code": "line.price_variance", "line_no": 1, "reason": "2.75 vs 2.50"}]'),
  1, 'a second call in the same transaction replaces them');
reset role;

select results_eq(
  $$select actor_id, meta -> 'exceptions', meta -> 'replaced', meta -> 'codes'
      from public.audit_events
     where invoice_id = 'aaaaaaaa-7000-4000-8000-0000000000e1'
       and action = 'match.exceptions_recorded' order by id$$,
  $$values ('a7000000-0000-4000-8000-000000000002'::uuid, '2'::jsonb, '0'::jsonb,
            '["line.not_received", "po.amount_variance"]'::jsonb),
           ('a7000000-0000-4000-8000-000000000002'::uuid, '1'::jsonb, '2'::jsonb,
            '["line.price_variance"]'::jsonb)$$,
  'each recording is audited with who, how many, what it replaced and which codes');

-- Stranger and anon.
select pg_temp.act_as('c7000000-0000-4000-8000-000000000001');
select is_empty('select id from public.match_exceptions', 'a stranger reads no exception');
reset role;
set local role anon;
select throws_ok('select id from public.match_exceptions', '42501', null,
                 'anon cannot read exceptions');
reset role;

select * from finish();
rollback;
