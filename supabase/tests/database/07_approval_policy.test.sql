-- The approval policy (issue 13): versions members read and owners save, activation by a door,
-- and the approval door refusing a blocked approval from any caller (PostgREST included), with
-- overrides only for the policy's roles, only with a reason, audited.
begin;
select plan(29);

select has_table('public', 'approval_policies', 'table public.approval_policies exists');
select ok((select relrowsecurity and relforcerowsecurity from pg_class
           where oid = 'public.approval_policies'::regclass),
          'approval_policies has row level security enabled and forced');
select ok(not has_table_privilege('anon', 'public.approval_policies', 'select'),
          'anon has no privilege on approval_policies');
select ok(not has_table_privilege('authenticated', 'public.approval_policies', 'update'),
          'policy versions are never edited by users (no UPDATE grant)');
select ok(not has_column_privilege('authenticated', 'public.approval_policies', 'is_active',
                                   'insert'),
          'users do not set is_active (activation is a function)');
select ok(not has_function_privilege('anon', 'public.approval_reasons(uuid)', 'execute'),
          'anon cannot ask for approval reasons');

insert into auth.users (id, email, aud, role) values
  ('a2000000-0000-4000-8000-000000000001', 'owner-a@policy.test', 'authenticated', 'authenticated'),
  ('a2000000-0000-4000-8000-000000000002', 'operator-a@policy.test', 'authenticated', 'authenticated'),
  ('a2000000-0000-4000-8000-000000000004', 'viewer-a@policy.test', 'authenticated', 'authenticated'),
  ('c2000000-0000-4000-8000-000000000001', 'stranger@policy.test', 'authenticated', 'authenticated');
insert into public.clients (id, name, created_by) values
  ('aaaaaaaa-2000-4000-8000-000000000000', 'Policy A', 'a2000000-0000-4000-8000-000000000001');
insert into public.client_members (client_id, user_id, role) values
  ('aaaaaaaa-2000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000002', 'operator'),
  ('aaaaaaaa-2000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000004', 'viewer');
insert into public.vendors (id, client_id, name) values
  ('aaaaaaaa-2000-4000-8000-00000000000e', 'aaaaaaaa-2000-4000-8000-000000000000', 'Known GmbH');
-- 01: no vendor chosen (vendor.unknown); 02: nothing speaks against it; 03: no vendor either.
insert into public.invoices (id, client_id, status, vendor_name, currency, subtotal, tax, total,
                             vendor_id) values
  ('aaaaaaaa-2000-4000-8000-000000000001', 'aaaaaaaa-2000-4000-8000-000000000000',
   'needs_review', 'Lieferant GmbH', 'EUR', 100, 19, 119, null),
  ('aaaaaaaa-2000-4000-8000-000000000002', 'aaaaaaaa-2000-4000-8000-000000000000',
   'needs_review', 'Known GmbH', 'EUR', 100, 19, 119, 'aaaaaaaa-2000-4000-8000-00000000000e'),
  ('aaaaaaaa-2000-4000-8000-000000000003', 'aaaaaaaa-2000-4000-8000-000000000000',
   'needs_review', 'Other GmbH', 'EUR', 100, 19, 120, null);

-- 04: line 1 with a 10% allowance and a charge adds up; line 2 does not.
insert into public.invoices (id, client_id, status, vendor_name, currency, subtotal, tax, total,
                             vendor_id) values
  ('aaaaaaaa-2000-4000-8000-000000000004', 'aaaaaaaa-2000-4000-8000-000000000000',
   'needs_review', 'Known GmbH', 'EUR', 56, 0, 56, 'aaaaaaaa-2000-4000-8000-00000000000e');
insert into public.invoice_lines (client_id, invoice_id, line_no, quantity, unit_price, allowance,
                                  charge, amount) values
  ('aaaaaaaa-2000-4000-8000-000000000000', 'aaaaaaaa-2000-4000-8000-000000000004', 1, 10, 5, 5,
   2, 47),
  ('aaaaaaaa-2000-4000-8000-000000000000', 'aaaaaaaa-2000-4000-8000-000000000004', 2, 2, 5,
   null, null, 9);

create function pg_temp.act_as(p_user uuid) returns void language sql as $$
  select set_config('role', 'authenticated', true),
         set_config('request.jwt.claims',
                    json_build_object('sub', p_user, 'role', 'authenticated')::text, true);
$$;

-- The reasons, as the reviewer sees them.
select pg_temp.act_as('a2000000-0000-4000-8000-000000000004');
select results_eq(
  $$select code, blocking from public.approval_reasons('aaaaaaaa-2000-4000-8000-000000000001')$$,
  $$values ('vendor.unknown', true)$$,
  'an invoice without a chosen vendor has one reason, and the default policy blocks on it');
select results_eq(
  $$select code from public.approval_reasons('aaaaaaaa-2000-4000-8000-000000000003')
    order by code$$,
  $$values ('check.totals_mismatch'), ('vendor.unknown')$$,
  'net + tax <> total is a failed check, recomputed from the current values');
select is_empty(
  $$select 1 from public.approval_reasons('aaaaaaaa-2000-4000-8000-000000000002')$$,
  'a clean invoice has no reason against approval');
select results_eq(
  $$select code, message from public.invoice_checks('aaaaaaaa-2000-4000-8000-000000000004')$$,
  $$values ('line_arithmetic', 'Line 2: 2 × 5.00 EUR makes 10.00 EUR, but the line amount is 9.00 EUR.')$$,
  'line allowances and charges count in the line arithmetic (line 1: 10 × 5 − 5 + 2 = 47)');
select is((select count(*)::int from public.approval_reasons('aaaaaaaa-2000-4000-8000-000000000004')
            where code = 'check.line_arithmetic' and blocking),
          1, 'the default policy blocks on it');
reset role;

-- The door refuses a blocked approval to a PostgREST caller, whatever the role.
select pg_temp.act_as('a2000000-0000-4000-8000-000000000002');
select throws_ok(
  $$select public.invoice_transition('aaaaaaaa-2000-4000-8000-000000000001', 'status.approved')$$,
  'IFB01', 'the approval policy blocks this approval',
  'the operator cannot approve an invoice with an unknown vendor through the door');
select throws_ok(
  $$select public.invoice_correct('aaaaaaaa-2000-4000-8000-000000000001', 'status.approved')$$,
  '22023', null, 'nor through the correction door');
select throws_ok(
  $$select public.invoice_transition('aaaaaaaa-2000-4000-8000-000000000001',
      'approval.overridden', null, '{}', '{"reason": "I checked it"}')$$,
  '42501', null, 'the operator may not override: the default policy names owners only');
select is(public.invoice_transition('aaaaaaaa-2000-4000-8000-000000000002', 'status.approved'),
          2, 'the operator approves an invoice nothing speaks against');
select throws_ok(
  $$insert into public.approval_policies (client_id, version, name, policy) values
    ('aaaaaaaa-2000-4000-8000-000000000000', 1, 'mine', '{"blocks": [], "override_roles": []}')$$,
  '42501', null, 'the operator cannot save a policy version');
reset role;

select pg_temp.act_as('a2000000-0000-4000-8000-000000000001');
select throws_ok(
  $$select public.invoice_transition('aaaaaaaa-2000-4000-8000-000000000001',
      'approval.overridden', null, '{}', '{"reason": " "}')$$,
  '22023', 'an override needs a reason', 'an override without a reason is refused');
select throws_ok(
  $$select public.invoice_transition('aaaaaaaa-2000-4000-8000-000000000001',
      'approval.overridden', null, '{"reviewed_by": null}', '{"reason": "ok"}')$$,
  '22023', null, 'an override sets no fields');
select is(public.invoice_transition('aaaaaaaa-2000-4000-8000-000000000001',
            'approval.overridden', null, '{}', '{"reason": "vendor checked by phone"}'),
          2, 'the owner approves over the block with a reason');
select is((select status from public.invoices where id = 'aaaaaaaa-2000-4000-8000-000000000001'),
          'approved', 'the overridden invoice is approved');
select results_eq(
  $$select meta -> 'overridden' -> 0 ->> 'code', meta ->> 'reason', actor_id
      from public.audit_events
     where invoice_id = 'aaaaaaaa-2000-4000-8000-000000000001'
       and action = 'approval.overridden'$$,
  $$values ('vendor.unknown', 'vendor checked by phone',
            'a2000000-0000-4000-8000-000000000001'::uuid)$$,
  'the override is audited with what it overrode, why and by whom');

-- Versions: owners save (validated by the database) and activate; the policy then decides.
select throws_ok(
  $$insert into public.approval_policies (client_id, version, name, policy) values
    ('aaaaaaaa-2000-4000-8000-000000000000', 1, 'bad', '{"blocks": ["nope"], "override_roles": []}')$$,
  '23514', null, 'a policy naming a malformed code is refused');
select lives_ok(
  $$insert into public.approval_policies (client_id, version, name, policy) values
    ('aaaaaaaa-2000-4000-8000-000000000000', 1, 'lenient on vendors',
     '{"blocks": ["check.*"], "override_roles": ["owner", "operator"]}')$$,
  'the owner saves a version');
select is((select version from public.approval_policy_of('aaaaaaaa-2000-4000-8000-000000000000')),
          null, 'a saved version decides nothing until it is activated');
reset role;
select pg_temp.act_as('a2000000-0000-4000-8000-000000000002');
select throws_ok(
  $$select public.activate_approval_policy('aaaaaaaa-2000-4000-8000-000000000000', 1)$$,
  '42501', null, 'the operator cannot activate a version');
reset role;
select pg_temp.act_as('a2000000-0000-4000-8000-000000000001');
select is((public.activate_approval_policy('aaaaaaaa-2000-4000-8000-000000000000', 1)).version,
          1, 'the owner activates it');
reset role;
select pg_temp.act_as('a2000000-0000-4000-8000-000000000002');
select throws_ok(
  $$select public.invoice_transition('aaaaaaaa-2000-4000-8000-000000000003', 'status.approved')$$,
  'IFB01', null, 'the active version blocks on failed checks');
select is(public.invoice_transition('aaaaaaaa-2000-4000-8000-000000000003',
            'approval.overridden', null, '{}', '{"reason": "total confirmed"}'),
          2, 'and lets operators override them, as it names them');
reset role;

-- Nothing crosses clients.
select pg_temp.act_as('c2000000-0000-4000-8000-000000000001');
select throws_ok(
  $$select * from public.approval_reasons('aaaaaaaa-2000-4000-8000-000000000001')$$,
  'P0002', null, 'a stranger learns nothing about another client''s invoice');
reset role;

select * from finish();
rollback;
