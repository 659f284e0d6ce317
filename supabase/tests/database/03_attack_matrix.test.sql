-- The attack matrix as a PostgREST client would run it (issue 11): every table x operation, an
-- UPDATE of every protected column and a call of every function a signed-in user may call, by
-- each role of client A (owner, operator, analyst, viewer), an outsider (signed in, member of
-- nothing) and anon, against client A's rows and client B's. Each attempt runs in its own
-- subtransaction as `authenticated` + request.jwt.claims (or `anon`) and is rolled back. Counted:
-- unexpected successes (must be 0), wrong denials (must be 0), and effective changes of audited
-- things (money, status, IBAN, approval, membership, profiles) without an audit event (must be 0).
-- The same matrix, larger, runs in pytest (tests/integration/db/test_rls_matrix.py).
begin;
select plan(12);

-- Fixtures (as the migration owner; rolled back at the end) --------------------------------
insert into auth.users (id, email, aud, role, email_confirmed_at) values
  ('a0000000-0000-4000-8000-000000000001', 'owner-a@matrix.test', 'authenticated', 'authenticated', now()),
  ('a0000000-0000-4000-8000-000000000002', 'operator-a@matrix.test', 'authenticated', 'authenticated', now()),
  ('a0000000-0000-4000-8000-000000000003', 'analyst-a@matrix.test', 'authenticated', 'authenticated', now()),
  ('a0000000-0000-4000-8000-000000000004', 'viewer-a@matrix.test', 'authenticated', 'authenticated', now()),
  ('b0000000-0000-4000-8000-000000000001', 'owner-b@matrix.test', 'authenticated', 'authenticated', now()),
  ('b0000000-0000-4000-8000-000000000004', 'viewer-b@matrix.test', 'authenticated', 'authenticated', now()),
  ('c0000000-0000-4000-8000-000000000001', 'outsider@matrix.test', 'authenticated', 'authenticated', now());

-- A fixture id: client letter + number, e.g. rid('a', 11).
create function pg_temp.rid(p_client text, p_n integer) returns uuid
language sql immutable as $$
  select (repeat(p_client, 8) || '-0000-4000-8000-' || lpad(p_n::text, 12, '0'))::uuid
$$;

insert into public.clients (id, name, created_by) values
  (pg_temp.rid('a', 0), 'Client A', 'a0000000-0000-4000-8000-000000000001'),
  (pg_temp.rid('b', 0), 'Client B', 'b0000000-0000-4000-8000-000000000001');
insert into public.client_members (client_id, user_id, role) values
  (pg_temp.rid('a', 0), 'a0000000-0000-4000-8000-000000000002', 'operator'),
  (pg_temp.rid('a', 0), 'a0000000-0000-4000-8000-000000000003', 'analyst'),
  (pg_temp.rid('a', 0), 'a0000000-0000-4000-8000-000000000004', 'viewer'),
  (pg_temp.rid('b', 0), 'b0000000-0000-4000-8000-000000000004', 'viewer');

do $$
declare
  c text;
  cid uuid;
begin
  foreach c in array array['a', 'b'] loop
    cid := pg_temp.rid(c, 0);
    insert into public.files (id, client_id, object_key, original_name, content_type, size_bytes, sha256)
    values (pg_temp.rid(c, 1), cid, cid || '/2026/12/06/seed.pdf', 'seed.pdf', 'application/pdf', 3,
            repeat(c, 64));
    insert into public.batches (id, client_id, name) values (pg_temp.rid(c, 2), cid, 'seed');
    insert into public.vendors (id, client_id, name, iban)
    values (pg_temp.rid(c, 3), cid, 'Seed Vendor GmbH', 'DE89370400440532013000');
    insert into public.purchase_orders (id, client_id, vendor_id, po_number)
    values (pg_temp.rid(c, 4), cid, pg_temp.rid(c, 3), 'PO-1');
    insert into public.purchase_order_lines (id, client_id, purchase_order_id, line_no)
    values (pg_temp.rid(c, 5), cid, pg_temp.rid(c, 4), 1);
    insert into public.goods_receipts (id, client_id, purchase_order_id, receipt_number)
    values (pg_temp.rid(c, 6), cid, pg_temp.rid(c, 4), 'GR-1');
    insert into public.goods_receipt_lines (id, client_id, goods_receipt_id, purchase_order_line_id, line_no, quantity)
    values (pg_temp.rid(c, 7), cid, pg_temp.rid(c, 6), pg_temp.rid(c, 5), 1, 2);
    insert into public.invoices (id, client_id, file_id, batch_id, status)
    values (pg_temp.rid(c, 10), cid, pg_temp.rid(c, 1), pg_temp.rid(c, 2), 'received');
    insert into public.invoices (id, client_id, status, vendor_name, currency, total, vendor_id)
    values (pg_temp.rid(c, 11), cid, 'needs_review', 'Seed Vendor GmbH', 'EUR', 119,
            pg_temp.rid(c, 3));
    insert into public.invoices (id, client_id, status, total)
    values (pg_temp.rid(c, 12), cid, 'approved', 50);
    insert into public.invoice_lines (id, client_id, invoice_id, line_no, amount)
    values (pg_temp.rid(c, 13), cid, pg_temp.rid(c, 11), 1, 119);
    insert into public.matches (id, client_id, invoice_id, kind, vendor_id, band)
    values (pg_temp.rid(c, 14), cid, pg_temp.rid(c, 11), 'vendor', pg_temp.rid(c, 3), 'review');
    insert into public.match_profiles (id, client_id, version, name, profile, is_active)
    values (pg_temp.rid(c, 15), cid, 1, 'default', '{}', true),
           (pg_temp.rid(c, 16), cid, 2, 'tuned', '{}', false);
    insert into public.extraction_cache (id, client_id, cache_key, sha256, extractor_version, result)
    values (pg_temp.rid(c, 17), cid, 'k1', repeat('a', 64), 'v1', '{}');
    insert into public.client_invitations (id, client_id, email, role)
    values (pg_temp.rid(c, 18), cid, 'invitee-' || c || '@matrix.test', 'viewer');
    insert into storage.objects (bucket_id, name) values ('invoices', cid || '/2026/12/06/seed.pdf');
  end loop;
end
$$;

-- One attempt as a user (null = anon), rolled back: did it work, how many rows, which error,
-- how many audit events it wrote.
create function pg_temp.attempt(p_user uuid, p_email text, p_sql text)
returns table (ok boolean, n bigint, state text, events bigint)
language plpgsql as $$
declare
  v_n bigint := 0;
  v_events bigint;
  v_detail text;
begin
  begin
    select count(*) into v_events from public.audit_events;
    if p_user is null then
      perform set_config('role', 'anon', true);
      perform set_config('request.jwt.claims', '{"role": "anon"}', true);
    else
      perform set_config('role', 'authenticated', true);
      perform set_config('request.jwt.claims',
        json_build_object('sub', p_user, 'role', 'authenticated', 'email', p_email)::text, true);
    end if;
    if p_sql ~* '^\s*select' then
      execute p_sql into v_n;
    else
      execute p_sql;
      get diagnostics v_n = row_count;
    end if;
    reset role;
    v_events := (select count(*) from public.audit_events) - v_events;
    raise exception using errcode = 'IF999', message = 'roll back', detail = v_n || ' ' || v_events;
  exception
    when sqlstate 'IF999' then
      get stacked diagnostics v_detail = pg_exception_detail;
      return query select true, split_part(v_detail, ' ', 1)::bigint, null::text,
                          split_part(v_detail, ' ', 2)::bigint;
    when others then
      return query select false, 0::bigint, sqlstate::text, 0::bigint;
  end;
end
$$;

-- The cases. `allowed`: roles of the TARGET client that may do it ('signed_in': anyone signed
-- in); `audited`: an effective attempt must write an audit event. Tokens :client, :invoice
-- (received), :review (needs_review), :approved, :match, :invitation, :vendor, :po, :gr, :file,
-- :viewer, :owner, :outsider, :rand are replaced per target.
create temp table cases (name text, sql text, allowed text[], audited boolean);
insert into cases values
  -- table x operation
  ('clients select', 'select count(*) from public.clients where id = :client', '{owner,operator,analyst,viewer}', false),
  ('clients insert', 'insert into public.clients (name) values (''x'')', '{}', false),
  ('clients update', 'update public.clients set name = name || '''' where id = :client', '{owner}', false),
  ('clients delete', 'delete from public.clients where id = :client', '{owner}', false),
  ('client_members select', 'select count(*) from public.client_members where client_id = :client', '{owner,operator,analyst,viewer}', false),
  ('client_members insert', 'insert into public.client_members (client_id, user_id, role) values (:client, :outsider, ''viewer'')', '{}', true),
  ('client_members update', 'update public.client_members set role = ''owner'' where client_id = :client and user_id = :viewer', '{owner}', true),
  ('client_members delete', 'delete from public.client_members where client_id = :client and user_id = :viewer', '{owner}', true),
  ('client_invitations select', 'select count(*) from public.client_invitations where client_id = :client', '{owner}', false),
  ('client_invitations insert', 'insert into public.client_invitations (client_id, email, role) values (:client, ''x@y.test'', ''owner'')', '{}', true),
  ('client_invitations update', 'update public.client_invitations set role = ''owner'' where client_id = :client', '{}', true),
  ('client_invitations delete', 'delete from public.client_invitations where client_id = :client', '{}', true),
  ('batches select', 'select count(*) from public.batches where client_id = :client', '{owner,operator,analyst,viewer}', false),
  ('batches insert', 'insert into public.batches (client_id, name) values (:client, ''b'')', '{owner,operator}', false),
  ('batches update', 'update public.batches set name = ''renamed'' where client_id = :client', '{owner,operator}', false),
  ('batches delete', 'delete from public.batches where client_id = :client', '{owner,operator}', false),
  ('files select', 'select count(*) from public.files where client_id = :client', '{owner,operator,analyst,viewer}', false),
  ('files insert', 'insert into public.files (client_id, object_key, original_name, content_type, size_bytes, sha256) values (:client, :client || ''/x/'' || :rand, ''x.pdf'', ''application/pdf'', 1, encode(sha256(convert_to(:rand, ''UTF8'')), ''hex''))', '{owner,operator}', false),
  ('files update', 'update public.files set original_name = ''renamed.pdf'' where client_id = :client', '{owner,operator}', false),
  ('files delete', 'delete from public.files where client_id = :client', '{owner,operator}', false),
  ('vendors select', 'select count(*) from public.vendors where client_id = :client', '{owner,operator,analyst,viewer}', false),
  ('vendors insert', 'insert into public.vendors (client_id, name, iban) values (:client, ''New'', ''DE02120300000000202051'')', '{owner,operator}', true),
  ('vendors update iban', 'update public.vendors set iban = ''XX00ATTACKER'' where client_id = :client', '{owner,operator}', true),
  ('vendors delete', 'delete from public.vendors where client_id = :client', '{owner,operator}', true),
  ('purchase_orders select', 'select count(*) from public.purchase_orders where client_id = :client', '{owner,operator,analyst,viewer}', false),
  ('purchase_orders insert', 'insert into public.purchase_orders (client_id, vendor_id, po_number) values (:client, :vendor, ''PO-'' || :rand)', '{owner,operator}', false),
  ('purchase_orders update', 'update public.purchase_orders set status = ''closed'' where client_id = :client', '{owner,operator}', false),
  ('purchase_orders delete', 'delete from public.purchase_orders where client_id = :client', '{owner,operator}', false),
  ('purchase_order_lines select', 'select count(*) from public.purchase_order_lines where client_id = :client', '{owner,operator,analyst,viewer}', false),
  ('purchase_order_lines insert', 'insert into public.purchase_order_lines (client_id, purchase_order_id, line_no) values (:client, :po, 99)', '{owner,operator}', false),
  ('purchase_order_lines update', 'update public.purchase_order_lines set description = ''x'' where client_id = :client', '{owner,operator}', false),
  ('purchase_order_lines delete', 'delete from public.purchase_order_lines where client_id = :client', '{owner,operator}', false),
  ('goods_receipts select', 'select count(*) from public.goods_receipts where client_id = :client', '{owner,operator,analyst,viewer}', false),
  ('goods_receipts insert', 'insert into public.goods_receipts (client_id, purchase_order_id, receipt_number) values (:client, :po, ''GR-'' || :rand)', '{owner,operator}', false),
  ('goods_receipts update', 'update public.goods_receipts set received_on = current_date where client_id = :client', '{owner,operator}', false),
  ('goods_receipts delete', 'delete from public.goods_receipts where client_id = :client', '{owner,operator}', false),
  ('goods_receipt_lines select', 'select count(*) from public.goods_receipt_lines where client_id = :client', '{owner,operator,analyst,viewer}', false),
  ('goods_receipt_lines insert', 'insert into public.goods_receipt_lines (client_id, goods_receipt_id, line_no, quantity) values (:client, :gr, 99, 1)', '{owner,operator}', false),
  ('goods_receipt_lines update', 'update public.goods_receipt_lines set quantity = quantity + 1 where client_id = :client', '{owner,operator}', false),
  ('goods_receipt_lines delete', 'delete from public.goods_receipt_lines where client_id = :client', '{owner,operator}', false),
  ('invoices select', 'select count(*) from public.invoices where client_id = :client', '{owner,operator,analyst,viewer}', false),
  ('invoices insert', 'insert into public.invoices (client_id, file_id) values (:client, :file)', '{owner,operator}', true),
  ('invoices update (plain field, undecided)', 'update public.invoices set invoice_number = ''touched'' where id in (:invoice, :review)', '{owner,operator}', true),
  ('invoices delete', 'delete from public.invoices where client_id = :client', '{owner,operator}', true),
  ('invoice_lines select', 'select count(*) from public.invoice_lines where client_id = :client', '{owner,operator,analyst,viewer}', false),
  ('invoice_lines insert', 'insert into public.invoice_lines (client_id, invoice_id, line_no, amount) values (:client, :review, 99, 1)', '{}', true),
  ('invoice_lines update', 'update public.invoice_lines set description = ''x'' where client_id = :client', '{}', true),
  ('invoice_lines delete', 'delete from public.invoice_lines where client_id = :client', '{}', true),
  ('matches select', 'select count(*) from public.matches where client_id = :client', '{owner,operator,analyst,viewer}', false),
  ('matches insert', 'insert into public.matches (client_id, invoice_id, kind, band) values (:client, :review, ''duplicate'', ''review'')', '{}', true),
  ('matches update', 'update public.matches set reason = ''x'' where client_id = :client', '{}', true),
  ('matches delete', 'delete from public.matches where client_id = :client', '{}', true),
  ('match_profiles select', 'select count(*) from public.match_profiles where client_id = :client', '{owner,operator,analyst,viewer}', false),
  ('match_profiles insert', 'insert into public.match_profiles (client_id, version, name, profile) values (:client, 99, ''p'', ''{}'')', '{owner,analyst}', true),
  ('match_profiles update', 'update public.match_profiles set name = ''renamed'' where client_id = :client', '{}', true),
  ('match_profiles delete', 'delete from public.match_profiles where client_id = :client', '{owner,analyst}', true),
  ('extraction_cache select', 'select count(*) from public.extraction_cache where client_id = :client', '{owner,operator,analyst,viewer}', false),
  ('extraction_cache insert', 'insert into public.extraction_cache (client_id, cache_key, sha256, extractor_version, result) values (:client, :rand, repeat(''b'', 64), ''v1'', ''{}'')', '{owner,operator}', false),
  ('extraction_cache update', 'update public.extraction_cache set model = ''x'' where client_id = :client', '{owner,operator}', false),
  ('extraction_cache delete', 'delete from public.extraction_cache where client_id = :client', '{owner,operator}', false),
  ('audit_events select', 'select count(*) from public.audit_events where client_id = :client', '{owner,operator,analyst,viewer}', false),
  ('audit_events insert', 'insert into public.audit_events (client_id, action) values (:client, ''status.approved'')', '{}', false),
  ('audit_events update', 'update public.audit_events set action = ''x'' where client_id = :client', '{}', false),
  ('audit_events delete', 'delete from public.audit_events where client_id = :client', '{}', false),
  ('storage.objects select', 'select count(*) from storage.objects where bucket_id = ''invoices'' and name like :client || ''/%''', '{owner,operator,analyst,viewer}', false),
  ('storage.objects insert', 'insert into storage.objects (bucket_id, name) values (''invoices'', :client || ''/2026/12/06/'' || :rand)', '{owner,operator}', false),
  ('storage.objects update', 'update storage.objects set metadata = ''{}'' where bucket_id = ''invoices'' and name like :client || ''/%''', '{owner,operator}', false),
  ('storage.objects delete', 'delete from storage.objects where bucket_id = ''invoices'' and name like :client || ''/%''', '{owner,operator}', false),
  -- protected columns: nobody, by table access
  ('F5: export with a forged reviewer, total and IBAN', 'update public.invoices set status = ''exported'', reviewed_by = :owner, total = 1.00, vendor_iban = ''XX00ATTACKER'' where id = :review', '{}', true),
  ('invoices.status', 'update public.invoices set status = ''approved'' where id = :review', '{}', true),
  ('invoices.total', 'update public.invoices set total = 1 where id = :review', '{}', true),
  ('invoices.subtotal/tax/amount_due', 'update public.invoices set subtotal = 1, tax = 0, amount_due = 1 where id = :review', '{}', true),
  ('invoices.currency', 'update public.invoices set currency = ''USD'' where id = :review', '{}', true),
  ('invoices.vendor_iban', 'update public.invoices set vendor_iban = ''XX00ATTACKER'' where id = :review', '{}', true),
  ('invoices.vendor_id/purchase_order_id', 'update public.invoices set vendor_id = null, purchase_order_id = null where id = :review', '{}', true),
  ('invoices.match outcome', 'update public.invoices set match_band = ''auto'', match_score = 1 where id = :review', '{}', true),
  ('invoices.reviewed_by/at', 'update public.invoices set reviewed_by = :owner, reviewed_at = now() where id = :review', '{}', true),
  ('invoices.created_by', 'update public.invoices set created_by = :outsider where id = :invoice', '{}', true),
  ('invoices.extraction result', 'update public.invoices set extraction = ''{}'', confidence = 1, extractor = ''x'' where id = :invoice', '{}', true),
  ('invoices.failure_reason', 'update public.invoices set failure_reason = ''x'' where id = :invoice', '{}', true),
  ('invoices.client/file/batch ids', 'update public.invoices set file_id = null, batch_id = null where id = :invoice', '{}', true),
  ('invoices: a decided invoice', 'update public.invoices set invoice_number = ''late'' where id = :approved', '{}', true),
  ('invoice_lines money', 'update public.invoice_lines set amount = 1, quantity = 9, unit_price = 9 where client_id = :client', '{}', true),
  ('matches decision', 'update public.matches set status = ''confirmed'', decided_by = auth.uid() where client_id = :client', '{}', true),
  ('files.object_key/bucket', 'update public.files set object_key = object_key || ''x'', bucket = ''evil'' where client_id = :client', '{}', false),
  ('files.uploaded_by', 'update public.files set uploaded_by = :outsider where client_id = :client', '{}', false),
  ('batches.created_by', 'update public.batches set created_by = :outsider where client_id = :client', '{}', false),
  ('clients.created_by', 'update public.clients set created_by = :outsider where id = :client', '{}', false),
  ('match_profiles.is_active', 'update public.match_profiles set is_active = (version = 2) where client_id = :client', '{}', true),
  ('client_invitations.accepted_at', 'update public.client_invitations set accepted_at = now() where client_id = :client', '{}', true),
  -- every function a signed-in user may call
  -- :review has an undecided vendor match: the default approval policy blocks (IFB01) for all
  ('invoice_transition approve (blocked)', 'select count(*) from (select public.invoice_transition(:review, ''status.approved'', null, ''{}'', ''{}'') v) x where v is not null', '{}', true),
  ('invoice_transition override with a reason', 'select count(*) from (select public.invoice_transition(:review, ''approval.overridden'', null, ''{}'', ''{"reason": "checked"}'') v) x where v is not null', '{owner}', true),
  ('invoice_transition reject', 'select count(*) from (select public.invoice_transition(:review, ''status.rejected'', null, ''{"failure_reason": "no"}'', ''{}'') v) x where v is not null', '{owner,operator}', true),
  ('invoice_transition export', 'select count(*) from (select public.invoice_transition(:approved, ''status.exported'', null, ''{}'', ''{}'') v) x where v is not null', '{owner,operator}', true),
  ('invoice_correct fields', 'select count(*) from (select public.invoice_correct(:review, ''invoice.corrected'', null, ''{"total": 1, "vendor_iban": "XX00"}'', ''{}'') v) x where v is not null', '{owner,operator}', true),
  ('invoice_correct lines', 'select count(*) from (select public.invoice_correct(:review, ''invoice.lines_corrected'', null, ''{"lines": [{"line_no": 1, "amount": 1}]}'', ''{}'') v) x where v is not null', '{owner,operator}', true),
  ('invoice_correct match', 'select count(*) from (select public.invoice_correct(:review, ''match.confirmed'', null, jsonb_build_object(''match'', jsonb_build_object(''id'', :match)), ''{}'') v) x where v is not null', '{owner,operator}', true),
  ('create_client', 'select count(*) from public.create_client(''Created'')', '{signed_in}', true),
  ('activate_match_profile', 'select count(*) from public.activate_match_profile(:client, 2)', '{owner,analyst}', true),
  ('record_reference_import', 'select count(*) from (select public.record_reference_import(:client, ''vendors'', 1, 0, ''{}'')) x', '{owner,operator}', true),
  ('invite_client_member', 'select count(*) from public.invite_client_member(:client, ''new@matrix.test'', ''viewer'')', '{owner}', true),
  ('revoke_client_invitation', 'select count(*) from public.revoke_client_invitation(:invitation)', '{owner}', true),
  ('answer_client_invitation (someone else''s)', 'select count(*) from public.answer_client_invitation(:invitation, true)', '{}', true),
  ('enqueue_invoice_processing', 'select count(*) from (select public.enqueue_invoice_processing(:invoice)) x', '{owner,operator}', false),
  ('record_upload', 'select count(*) from public.record_upload(:client, gen_random_uuid(), true, ''m'', 1, ''invoices'', :client || ''/2026/12/06/'' || :rand || ''-m.pdf'', ''m.pdf'', ''application/pdf'', 1, encode(sha256(convert_to(:rand, ''UTF8'')), ''hex''), ''{}'', false) where outcome = ''accepted''', '{owner,operator}', true),
  ('invoice_ids_by_vendor', 'select count(*) from public.invoice_ids_by_vendor(''%Seed%'', :client)', '{owner,operator,analyst,viewer}', false),
  ('my_client_invitations (none for the actors)', 'select count(*) from public.my_client_invitations()', '{}', false);

create temp table actors (label text, user_id uuid, email text, role_in_a text);
insert into actors values
  ('A:owner', 'a0000000-0000-4000-8000-000000000001', 'owner-a@matrix.test', 'owner'),
  ('A:operator', 'a0000000-0000-4000-8000-000000000002', 'operator-a@matrix.test', 'operator'),
  ('A:analyst', 'a0000000-0000-4000-8000-000000000003', 'analyst-a@matrix.test', 'analyst'),
  ('A:viewer', 'a0000000-0000-4000-8000-000000000004', 'viewer-a@matrix.test', 'viewer'),
  ('outsider', 'c0000000-0000-4000-8000-000000000001', 'outsider@matrix.test', null),
  ('anon', null, null, null);

create temp table results (
  name text, actor text, target text, allowed boolean, ok boolean, n bigint, state text,
  events bigint, audited boolean
);

do $$
declare
  k record;
  a record;
  t text;
  v_sql text;
  v_allowed boolean;
  r record;
begin
  for k in select * from cases loop
    foreach t in array array['a', 'b'] loop
      v_sql := k.sql;
      v_sql := replace(v_sql, ':client', quote_literal(pg_temp.rid(t, 0)) || '::uuid');
      v_sql := replace(v_sql, ':invoice', quote_literal(pg_temp.rid(t, 10)) || '::uuid');
      v_sql := replace(v_sql, ':review', quote_literal(pg_temp.rid(t, 11)) || '::uuid');
      v_sql := replace(v_sql, ':approved', quote_literal(pg_temp.rid(t, 12)) || '::uuid');
      v_sql := replace(v_sql, ':match', quote_literal(pg_temp.rid(t, 14)));
      v_sql := replace(v_sql, ':invitation', quote_literal(pg_temp.rid(t, 18)) || '::uuid');
      v_sql := replace(v_sql, ':vendor', quote_literal(pg_temp.rid(t, 3)) || '::uuid');
      v_sql := replace(v_sql, ':po', quote_literal(pg_temp.rid(t, 4)) || '::uuid');
      v_sql := replace(v_sql, ':gr', quote_literal(pg_temp.rid(t, 6)) || '::uuid');
      v_sql := replace(v_sql, ':file', quote_literal(pg_temp.rid(t, 1)) || '::uuid');
      v_sql := replace(v_sql, ':viewer', quote_literal(case t when 'a'
        then 'a0000000-0000-4000-8000-000000000004' else 'b0000000-0000-4000-8000-000000000004' end) || '::uuid');
      v_sql := replace(v_sql, ':owner', quote_literal(case t when 'a'
        then 'a0000000-0000-4000-8000-000000000001' else 'b0000000-0000-4000-8000-000000000001' end) || '::uuid');
      v_sql := replace(v_sql, ':outsider', quote_literal('c0000000-0000-4000-8000-000000000001') || '::uuid');
      v_sql := replace(v_sql, ':rand', quote_literal(md5(random()::text)));
      for a in select * from actors loop
        v_allowed := a.user_id is not null and (
          'signed_in' = any (k.allowed)
          or (t = 'a' and a.role_in_a is not null and a.role_in_a = any (k.allowed)));
        select * into r from pg_temp.attempt(a.user_id, a.email, v_sql);
        insert into results values (k.name, a.label, t, v_allowed, r.ok, r.n, r.state, r.events,
                                    k.audited);
      end loop;
    end loop;
  end loop;
end
$$;

select diag(format('attack matrix: %s cases x 6 actors x 2 clients = %s attempts; %s allowed and effective, %s refused',
  (select count(*) from cases), (select count(*) from results),
  (select count(*) from results where allowed and ok and n > 0),
  (select count(*) from results where not (ok and n > 0))));
select is((select count(*)::int from results), (select count(*)::int * 2 * 6 from cases),
  'every case ran for 6 actors against 2 clients');
select ok((select count(*) from cases) >= 100, 'the matrix covers at least 100 cases');
select is(
  (select array_agg(name || ' / ' || actor || ' / ' || target order by name, actor, target)
   from results where ok and n > 0 and not allowed),
  null,
  '0 unexpected successes (read or changed something the actor must not reach)'
);
select is(
  (select array_agg(name || ' / ' || actor || ' / ' || target || ' / ' || coalesce(state, 'no rows')
                    order by name, actor, target)
   from results where allowed and not (ok and n > 0)),
  null,
  '0 wrong denials'
);
select is(
  (select array_agg(name || ' / ' || actor order by name, actor)
   from results where ok and n > 0 and audited and events = 0),
  null,
  'nothing audited changes without its audit event'
);
select ok(
  (select count(*) from results where allowed and ok and n > 0) > 100
  and (select count(*) from results where not allowed and not ok and state = '42501') > 300,
  'the harness sees both successes and refusals (it can fail)'
);

-- F5 as reported, explicitly, for the operator of A.
select set_config('role', 'authenticated', true),
       set_config('request.jwt.claims',
                  '{"sub": "a0000000-0000-4000-8000-000000000002", "role": "authenticated"}', true);
select throws_ok(
  format($$update public.invoices set status = 'exported', reviewed_by = %L, total = 1.00,
           vendor_iban = 'XX00ATTACKER' where id = %L$$,
         'a0000000-0000-4000-8000-000000000001', pg_temp.rid('a', 11)),
  '42501', null, 'F5: an operator cannot export with a forged reviewer, total and IBAN');
select throws_ok(
  format($$insert into public.audit_events (client_id, action) values (%L, 'status.approved')$$,
         pg_temp.rid('a', 0)),
  '42501', null, 'operators cannot insert audit events');
-- Through the door it works, audited, with the caller as reviewer (once the undecided vendor
-- match, which the approval policy blocks on, is settled; as the table owner: set-up only).
reset role;
update public.matches set status = 'confirmed' where id = pg_temp.rid('a', 14);
select set_config('role', 'authenticated', true),
       set_config('request.jwt.claims',
                  '{"sub": "a0000000-0000-4000-8000-000000000002", "role": "authenticated"}', true);
select is(
  public.invoice_transition(pg_temp.rid('a', 11), 'status.approved', 1, '{}', '{}'), 2,
  'the operator approves through public.invoice_transition');
reset role;
select is(
  (select reviewed_by from public.invoices where id = pg_temp.rid('a', 11)),
  'a0000000-0000-4000-8000-000000000002'::uuid,
  'reviewed_by is the caller, never a parameter');
select is(
  (select count(*)::int from public.audit_events
    where invoice_id = pg_temp.rid('a', 11) and action = 'status.approved'
      and actor_id = 'a0000000-0000-4000-8000-000000000002' and meta ->> 'version' = '2'),
  1, 'the approval has its audit event (actor, version)');
select is(
  (select count(*)::int from public.invoices where id = pg_temp.rid('a', 11)
     and status = 'approved' and total = 119 and vendor_iban is null),
  1, 'nothing else changed');

select * from finish();
rollback;
