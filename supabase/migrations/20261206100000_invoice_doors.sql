-- Integrity of invoices in the database itself (issue 11, F5), not only in the API.
--
-- Supabase exposes every public table and function to signed-in clients through PostgREST, so
-- whatever the API refuses a client can try with table access. Before this migration an operator
-- could `update invoices set status = 'exported', reviewed_by = <owner>, total = 1.00,
-- vendor_iban = <theirs>` and insert any audit event. From here on:
--
--   * the transition table (core/workflow/states.py TRANSITIONS, compared by a test) and the
--     actions that move an invoice along it are data: public.invoice_status_transitions and
--     public.invoice_actions (closed to users; read by the doors below);
--   * status, money, IBAN, currency, matching outcome, reviewer, extraction result, lines and
--     match rows change only through two security-definer doors:
--       public.invoice_transition(invoice, action, expected_version, changes, meta)  status moves
--       public.invoice_correct(invoice, action, expected_version, changes, meta)     corrections
--     Both check the caller's role through member_client_ids, the action's source statuses and
--     the transition table, the optimistic-lock version, and which fields the action may set;
--     the reviewer is auth.uid(), never a parameter. Each writes one audit event (before/after
--     computed from the row, meta.version = the new version) before it updates the row;
--   * users may still UPDATE, directly, only the plain correction columns (names, VAT ids,
--     numbers, dates, document type) of an invoice that is not decided yet; a trigger audits
--     every invoice change that no door audited (so each version has exactly one event) and
--     every deletion;
--   * audit_events can no longer be inserted by users at all (triggers and doors write them);
--   * invoice_lines and matches are written only by the doors.

-- The transition table -----------------------------------------------------------------------
create table public.invoice_status_transitions (
  from_status text not null,
  to_status text not null,
  primary key (from_status, to_status)
);
insert into public.invoice_status_transitions (from_status, to_status) values
  ('received', 'extracting'), ('received', 'failed'),
  ('extracting', 'extracted'), ('extracting', 'failed'), ('extracting', 'received'),
  ('extracted', 'matched'), ('extracted', 'failed'),
  ('matched', 'needs_review'), ('matched', 'auto_approved'), ('matched', 'failed'),
  ('needs_review', 'needs_review'), ('needs_review', 'approved'), ('needs_review', 'rejected'),
  ('auto_approved', 'approved'), ('auto_approved', 'rejected'), ('auto_approved', 'needs_review'),
  ('approved', 'exported'), ('approved', 'needs_review'),
  ('rejected', 'needs_review'),
  ('exported', 'exported'),
  ('failed', 'received');

-- The actions. `fields`: invoice columns the caller may set with the action; `lines`: it may
-- replace the line items; `matches`: 'propose' replaces the proposed match rows (the worker),
-- 'decide' records a reviewer's decision on one; `stamps_review`: reviewed_by/at := the caller.
-- A later approval policy or trust ladder adds actions or columns here, not new doors.
create table public.invoice_actions (
  action text primary key check (action ~ '^[a-z_]+\.[a-z_]+$'),
  door text not null check (door in ('transition', 'correct')),
  target_status text not null,
  from_statuses text[] not null check (cardinality(from_statuses) > 0),
  roles public.member_role[] not null default '{owner,operator}',
  fields text[] not null default '{}' check (fields <@ array[
    'vendor_name', 'vendor_vat_id', 'vendor_iban', 'customer_name', 'customer_vat_id',
    'invoice_number', 'po_number', 'document_type', 'invoice_date', 'due_date', 'currency',
    'subtotal', 'tax', 'total', 'amount_due', 'extraction', 'extractor', 'extractor_version',
    'model', 'prompt_version', 'confidence', 'failure_reason', 'vendor_id', 'purchase_order_id',
    'match_band', 'match_score'
  ]),
  lines boolean not null default false,
  matches text check (matches in ('propose', 'decide')),
  stamps_review boolean not null default false
);

insert into public.invoice_actions
  (action, door, target_status, from_statuses, fields, lines, matches, stamps_review)
values
  ('status.extracting', 'transition', 'extracting', '{received}', '{}', false, null, false),
  ('status.released', 'transition', 'received', '{extracting}', '{}', false, null, false),
  ('status.extracted', 'transition', 'extracted', '{extracting}',
   '{vendor_name,vendor_vat_id,vendor_iban,customer_name,customer_vat_id,invoice_number,'
   'po_number,document_type,invoice_date,due_date,currency,subtotal,tax,total,amount_due,'
   'extraction,extractor,extractor_version,model,prompt_version,confidence,failure_reason}',
   true, null, false),
  ('status.matched', 'transition', 'matched', '{extracted}',
   '{vendor_id,purchase_order_id,match_band,match_score}', false, 'propose', false),
  ('status.needs_review', 'transition', 'needs_review', '{matched}', '{}', false, null, false),
  ('status.auto_approved', 'transition', 'auto_approved', '{matched}', '{}', false, null, false),
  ('status.failed', 'transition', 'failed', '{received,extracting,extracted,matched}',
   '{failure_reason}', false, null, false),
  ('status.retry', 'transition', 'received', '{failed}', '{failure_reason}', false, null, false),
  ('status.approved', 'transition', 'approved', '{needs_review,auto_approved}', '{}', false,
   null, true),
  ('status.rejected', 'transition', 'rejected', '{needs_review,auto_approved}',
   '{failure_reason}', false, null, true),
  ('status.reopened', 'transition', 'needs_review', '{approved,auto_approved,rejected}', '{}',
   false, null, false),
  ('status.exported', 'transition', 'exported', '{approved,exported}', '{}', false, null, false),
  ('invoice.corrected', 'correct', 'needs_review', '{needs_review,auto_approved}',
   '{vendor_name,vendor_vat_id,vendor_iban,customer_name,customer_vat_id,invoice_number,'
   'po_number,document_type,invoice_date,due_date,currency,subtotal,tax,total,amount_due,'
   'vendor_id,purchase_order_id}', false, null, false),
  ('invoice.lines_corrected', 'correct', 'needs_review', '{needs_review,auto_approved}', '{}',
   true, null, false),
  ('match.confirmed', 'correct', 'needs_review', '{needs_review,auto_approved}', '{}', false,
   'decide', false),
  ('match.overridden', 'correct', 'needs_review', '{needs_review,auto_approved}', '{}', false,
   'decide', false),
  ('match.rejected', 'correct', 'needs_review', '{needs_review,auto_approved}', '{}', false,
   'decide', false);

-- Reference data for the doors only: RLS on and forced, no policy, no grant (the doors read it as
-- their owner, who bypasses RLS as for every table here).
do $$
declare
  t text;
begin
  foreach t in array array['invoice_status_transitions', 'invoice_actions'] loop
    execute format('alter table public.%I enable row level security', t);
    execute format('alter table public.%I force row level security', t);
    execute format('revoke all on table public.%I from public, anon, authenticated, service_role', t);
  end loop;
end
$$;

-- The keys whose values differ between two row images, as (before, after) objects.
create or replace function public.audit_diff(p_old jsonb, p_new jsonb, p_ignore text[] default '{}')
returns table (before jsonb, after jsonb)
language sql
immutable
set search_path = ''
as $$
  select coalesce(jsonb_object_agg(o.key, o.value), '{}'::jsonb),
         coalesce(jsonb_object_agg(o.key, n.value), '{}'::jsonb)
    from jsonb_each(coalesce(p_old, '{}'::jsonb)) o
    join jsonb_each(coalesce(p_new, '{}'::jsonb)) n on n.key = o.key
   where o.value is distinct from n.value
     and not (o.key = any (p_ignore))
$$;

-- Line items as an audit snapshot (one object per line, in line order).
create or replace function public.invoice_lines_snapshot(p_invoice_id uuid)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select coalesce(jsonb_agg(jsonb_build_object(
           'line_no', l.line_no, 'description', l.description, 'product_code', l.product_code,
           'quantity', l.quantity, 'unit', l.unit, 'unit_price', l.unit_price,
           'amount', l.amount, 'tax_rate', l.tax_rate) order by l.line_no), '[]'::jsonb)
    from public.invoice_lines l
   where l.invoice_id = p_invoice_id
$$;

-- The one implementation behind both doors. Not callable by users (they call the doors).
create or replace function public.invoice_apply_action(
  p_door text,
  p_invoice_id uuid,
  p_action text,
  p_expected_version integer,
  p_changes jsonb,
  p_meta jsonb
) returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_uid uuid := (select auth.uid());
  v_act public.invoice_actions;
  v_old public.invoices;
  v_new public.invoices;
  v_changes jsonb := coalesce(p_changes, '{}'::jsonb);
  v_meta jsonb := '{}'::jsonb;
  v_bad text[];
  v_before jsonb;
  v_after jsonb;
  v_lines jsonb;
  v_match public.matches;
  v_decision jsonb;
  v_status text;
  v_vendor uuid;
  v_po uuid;
begin
  if v_uid is null then
    raise exception 'only a signed-in user changes invoices' using errcode = '42501';
  end if;
  if jsonb_typeof(v_changes) is distinct from 'object'
     or jsonb_typeof(coalesce(p_meta, '{}'::jsonb)) is distinct from 'object'
     or octet_length(coalesce(p_meta, '{}'::jsonb)::text) > 65536 then
    raise exception 'changes and meta must be JSON objects (meta at most 64 KiB)'
      using errcode = '22023';
  end if;
  select * into v_act from public.invoice_actions a where a.action = p_action and a.door = p_door;
  if not found then
    raise exception 'unknown action % for invoice_%', p_action, p_door using errcode = '22023';
  end if;

  select * into v_old
    from public.invoices i
   where i.id = p_invoice_id
     and i.client_id in (select public.member_client_ids())
     for update;
  if not found then
    raise exception 'invoice not found' using errcode = 'P0002';
  end if;
  if v_old.client_id not in (select public.member_client_ids(v_act.roles)) then
    raise exception 'your role may not % invoices of this client', p_action
      using errcode = '42501';
  end if;
  if not (v_old.status = any (v_act.from_statuses)) or not exists (
    select 1 from public.invoice_status_transitions t
     where t.from_status = v_old.status and t.to_status = v_act.target_status
  ) then
    raise exception 'an invoice cannot go from % to % (%)', v_old.status, v_act.target_status,
      p_action using errcode = '55000';
  end if;
  select array_agg(k order by k) into v_bad
    from jsonb_object_keys(v_changes) k
   where not (k = any (v_act.fields))
     and not (k = 'lines' and v_act.lines)
     and not (k = 'matches' and v_act.matches = 'propose')
     and not (k = 'match' and v_act.matches = 'decide');
  if v_bad is not null then
    raise exception '% may not set %', p_action, v_bad using errcode = '22023';
  end if;
  if p_expected_version is not null and p_expected_version <> v_old.version then
    return null;  -- someone else changed it since the caller read it
  end if;

  v_new := jsonb_populate_record(v_old, v_changes - 'lines' - 'matches' - 'match');
  v_new.status := v_act.target_status;
  if v_act.stamps_review then
    v_new.reviewed_by := v_uid;
    v_new.reviewed_at := now();
  end if;

  -- A reviewer's decision on one match; the invoice's vendor/PO follow it (never the caller).
  if v_act.matches = 'decide' then
    v_decision := v_changes -> 'match';
    if jsonb_typeof(v_decision) is distinct from 'object' then
      raise exception '% needs a match object', p_action using errcode = '22023';
    end if;
    select * into v_match
      from public.matches m
     where m.id = (v_decision ->> 'id')::uuid and m.invoice_id = v_old.id
       for update;
    if not found then
      raise exception 'match not found' using errcode = 'P0002';
    end if;
    v_status := split_part(p_action, '.', 2);
    v_vendor := v_match.vendor_id;
    v_po := v_match.purchase_order_id;
    if v_status = 'overridden' then
      if v_match.kind = 'vendor' and v_decision ->> 'vendor_id' is null then
        raise exception 'overriding a vendor match needs vendor_id' using errcode = '22023';
      end if;
      if v_match.kind = 'purchase_order' and v_decision ->> 'purchase_order_id' is null then
        raise exception 'overriding a PO match needs purchase_order_id' using errcode = '22023';
      end if;
      v_vendor := coalesce((v_decision ->> 'vendor_id')::uuid, v_vendor);
      v_po := coalesce((v_decision ->> 'purchase_order_id')::uuid, v_po);
      if v_decision ->> 'vendor_id' is not null then
        v_new.vendor_id := v_vendor;
      end if;
      if v_decision ->> 'purchase_order_id' is not null then
        v_new.purchase_order_id := v_po;
      end if;
    elsif v_status = 'confirmed' then
      if v_match.kind = 'vendor' and v_match.vendor_id is not null then
        v_new.vendor_id := v_match.vendor_id;
      end if;
      if v_match.kind = 'purchase_order' and v_match.purchase_order_id is not null then
        v_new.purchase_order_id := v_match.purchase_order_id;
      end if;
    elsif v_match.kind = 'vendor' then
      v_new.vendor_id := null;
    end if;
    v_meta := v_meta || jsonb_build_object(
      'match_id', v_match.id,
      'kind', v_match.kind,
      'profile_version', v_match.profile_version,
      'before_match', jsonb_build_object(
        'status', v_match.status, 'vendor_id', coalesce(v_match.vendor_id::text, ''),
        'purchase_order_id', coalesce(v_match.purchase_order_id::text, '')),
      'after_match', jsonb_build_object(
        'status', v_status, 'vendor_id', coalesce(v_vendor::text, ''),
        'purchase_order_id', coalesce(v_po::text, '')));
  end if;

  if v_act.lines and v_changes ? 'lines' then
    if jsonb_typeof(v_changes -> 'lines') is distinct from 'array'
       or jsonb_array_length(v_changes -> 'lines') > 10000 then
      raise exception 'lines must be an array of at most 10000 lines' using errcode = '22023';
    end if;
    v_lines := (
      select coalesce(jsonb_agg(jsonb_build_object(
               'line_no', r.line_no, 'description', r.description,
               'product_code', r.product_code, 'quantity', r.quantity, 'unit', r.unit,
               'unit_price', r.unit_price, 'amount', r.amount, 'tax_rate', r.tax_rate)
               order by r.line_no), '[]'::jsonb)
        from jsonb_populate_recordset(null::public.invoice_lines, v_changes -> 'lines') r);
    v_meta := v_meta || jsonb_build_object(
      'lines_before', public.invoice_lines_snapshot(v_old.id), 'lines_after', v_lines);
  end if;
  if v_act.matches = 'propose' and v_changes ? 'matches' then
    if jsonb_typeof(v_changes -> 'matches') is distinct from 'array' then
      raise exception 'matches must be an array' using errcode = '22023';
    end if;
    v_meta := v_meta || jsonb_build_object(
      'matches_proposed', jsonb_array_length(v_changes -> 'matches'));
  end if;

  -- The event first (meta.version = the version this update makes), then the row.
  select d.before, d.after into v_before, v_after
    from public.audit_diff(to_jsonb(v_old), to_jsonb(v_new),
                           '{version,updated_at,extraction}') d;
  insert into public.audit_events (client_id, invoice_id, actor_id, action, before, after, meta)
  values (
    v_old.client_id, v_old.id, v_uid, p_action,
    v_before || jsonb_build_object('status', v_old.status),
    v_after || jsonb_build_object('status', v_new.status),
    coalesce(p_meta, '{}'::jsonb) || v_meta
      || jsonb_build_object('version', v_old.version + 1, 'door', 'invoice_' || p_door)
  );

  if v_act.matches = 'decide' then
    update public.matches m
       set status = v_status, vendor_id = v_vendor, purchase_order_id = v_po,
           decided_by = v_uid, decided_at = now()
     where m.id = v_match.id;
  end if;
  if v_act.lines and v_changes ? 'lines' then
    delete from public.invoice_lines l where l.invoice_id = v_old.id;
    insert into public.invoice_lines (client_id, invoice_id, line_no, description, product_code,
                                      quantity, unit, unit_price, amount, tax_rate)
    select v_old.client_id, v_old.id, r.line_no, r.description, r.product_code, r.quantity,
           r.unit, r.unit_price, r.amount, r.tax_rate
      from jsonb_populate_recordset(null::public.invoice_lines, v_changes -> 'lines') r;
  end if;
  if v_act.matches = 'propose' and v_changes ? 'matches' then
    delete from public.matches m where m.invoice_id = v_old.id and m.status = 'proposed';
    insert into public.matches (client_id, invoice_id, kind, vendor_id, purchase_order_id,
                                duplicate_of_invoice_id, score, band, reason, profile_version,
                                candidates)
    select v_old.client_id, v_old.id, r.kind, r.vendor_id, r.purchase_order_id,
           r.duplicate_of_invoice_id, r.score, r.band, coalesce(r.reason, ''),
           r.profile_version, coalesce(r.candidates, '[]'::jsonb)
      from jsonb_populate_recordset(null::public.matches, v_changes -> 'matches') r;
  end if;

  update public.invoices i set
    status = v_new.status, failure_reason = v_new.failure_reason,
    vendor_name = v_new.vendor_name, vendor_vat_id = v_new.vendor_vat_id,
    vendor_iban = v_new.vendor_iban, customer_name = v_new.customer_name,
    customer_vat_id = v_new.customer_vat_id, invoice_number = v_new.invoice_number,
    po_number = v_new.po_number, document_type = v_new.document_type,
    invoice_date = v_new.invoice_date, due_date = v_new.due_date, currency = v_new.currency,
    subtotal = v_new.subtotal, tax = v_new.tax, total = v_new.total,
    amount_due = v_new.amount_due, extraction = v_new.extraction,
    extractor = v_new.extractor, extractor_version = v_new.extractor_version,
    model = v_new.model, prompt_version = v_new.prompt_version,
    confidence = v_new.confidence, vendor_id = v_new.vendor_id,
    purchase_order_id = v_new.purchase_order_id, match_band = v_new.match_band,
    match_score = v_new.match_score, reviewed_by = v_new.reviewed_by,
    reviewed_at = v_new.reviewed_at
   where i.id = v_old.id;
  return v_old.version + 1;
end;
$$;

-- Door 1: status moves (the worker's steps, approve, reject, reopen, retry, export).
create or replace function public.invoice_transition(
  p_invoice_id uuid,
  p_action text,
  p_expected_version integer default null,
  p_changes jsonb default '{}'::jsonb,
  p_meta jsonb default '{}'::jsonb
) returns integer
language sql
volatile
security definer
set search_path = ''
as $$
  select public.invoice_apply_action('transition', p_invoice_id, p_action, p_expected_version,
                                     p_changes, p_meta)
$$;

-- Door 2: a reviewer's corrections (header fields, line items, match decisions).
create or replace function public.invoice_correct(
  p_invoice_id uuid,
  p_action text,
  p_expected_version integer default null,
  p_changes jsonb default '{}'::jsonb,
  p_meta jsonb default '{}'::jsonb
) returns integer
language sql
volatile
security definer
set search_path = ''
as $$
  select public.invoice_apply_action('correct', p_invoice_id, p_action, p_expected_version,
                                     p_changes, p_meta)
$$;

-- Direct updates (table access) never touch a decided invoice. current_user is the caller here
-- (security invoker); inside a door it is the function owner.
create or replace function public.invoices_guard_direct_update() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if current_user in ('authenticated', 'anon')
     and old.status in ('auto_approved', 'approved', 'rejected', 'exported') then
    raise exception 'invoice % is %: correct it through public.invoice_correct', old.id, old.status
      using errcode = '55000';
  end if;
  return new;
end
$$;
create trigger invoices_guard_direct_update before update on public.invoices
  for each row execute function public.invoices_guard_direct_update();

-- Every invoice change that no door audited, every upload and every deletion, with its actor.
create or replace function public.audit_invoice_change() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_before jsonb;
  v_after jsonb;
  v_name text;
  v_size bigint;
  v_sha text;
begin
  if tg_op = 'INSERT' then
    select f.original_name, f.size_bytes, f.sha256 into v_name, v_size, v_sha
      from public.files f where f.id = new.file_id;
    insert into public.audit_events (client_id, invoice_id, actor_id, action, after, meta)
    values (
      new.client_id, new.id, (select auth.uid()), 'invoice.uploaded',
      jsonb_build_object('status', new.status, 'file_id', new.file_id, 'sha256', v_sha),
      jsonb_strip_nulls(jsonb_build_object('filename', v_name, 'size', v_size,
                                           'batch_id', new.batch_id))
    );
    return null;
  elsif tg_op = 'UPDATE' then
    if exists (
      select 1 from public.audit_events e
       where e.invoice_id = new.id and e.meta ->> 'version' = new.version::text
    ) then
      return null;  -- a door wrote this version's event
    end if;
    select d.before, d.after into v_before, v_after
      from public.audit_diff(to_jsonb(old), to_jsonb(new), '{version,updated_at,extraction}') d;
    insert into public.audit_events (client_id, invoice_id, actor_id, action, before, after, meta)
    values (
      new.client_id, new.id, (select auth.uid()),
      case when (select auth.uid()) is null then 'invoice.changed' else 'invoice.corrected' end,
      v_before, v_after,
      jsonb_strip_nulls(jsonb_build_object('version', new.version, 'via', 'table',
                                           'role', (select auth.role())))
    );
    return null;
  end if;
  -- DELETE. A deleted client takes its invoices along: its own event says so.
  if not exists (select 1 from public.clients c where c.id = old.client_id) then
    return null;
  end if;
  select f.original_name into v_name from public.files f where f.id = old.file_id;
  insert into public.audit_events (client_id, invoice_id, actor_id, action, before, meta)
  values (
    old.client_id, old.id, (select auth.uid()), 'invoice.deleted',
    jsonb_build_object('status', old.status, 'invoice_number', old.invoice_number,
                       'vendor_name', old.vendor_name, 'vendor_iban', old.vendor_iban,
                       'currency', old.currency, 'total', old.total,
                       'reviewed_by', old.reviewed_by),
    jsonb_strip_nulls(jsonb_build_object('file', v_name))
  );
  return null;
end
$$;
create trigger invoices_audit after insert or update or delete on public.invoices
  for each row execute function public.audit_invoice_change();

-- Creator and uploader columns: the signed-in caller on insert, whatever was sent; never moved
-- to anyone else afterwards (only cleared, by ON DELETE SET NULL when a user is deleted).
create or replace function public.stamp_creator() returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_col constant text := tg_argv[0];
  v_new uuid := (to_jsonb(new) ->> v_col)::uuid;
  v_old uuid;
begin
  if tg_op = 'INSERT' then
    if current_user in ('authenticated', 'anon') or v_new is null then
      new := jsonb_populate_record(new, jsonb_build_object(v_col, (select auth.uid())));
    end if;
  else
    v_old := (to_jsonb(old) ->> v_col)::uuid;
    if v_new is distinct from v_old and v_new is not null then
      new := jsonb_populate_record(new, jsonb_build_object(v_col, v_old));
    end if;
  end if;
  return new;
end
$$;

drop trigger if exists clients_keep_created_by on public.clients;
drop function if exists public.keep_created_by();  -- it also refused ON DELETE SET NULL
create trigger clients_stamp_creator before insert or update on public.clients
  for each row execute function public.stamp_creator('created_by');
create trigger batches_stamp_creator before insert or update on public.batches
  for each row execute function public.stamp_creator('created_by');
create trigger files_stamp_uploader before insert or update on public.files
  for each row execute function public.stamp_creator('uploaded_by');
create trigger invoices_stamp_creator before insert or update on public.invoices
  for each row execute function public.stamp_creator('created_by');
create trigger match_profiles_stamp_creator before insert or update on public.match_profiles
  for each row execute function public.stamp_creator('created_by');

-- record_upload, unchanged except that the invoice's insert trigger writes 'invoice.uploaded'
-- (users may no longer insert audit events). p_audit_meta is ignored: the event's meta is read
-- from the rows themselves (file name, size, batch).
create or replace function public.record_upload(
  p_client_id uuid,
  p_batch_id uuid,
  p_new_batch boolean,
  p_batch_name text,
  p_file_count integer,
  p_bucket text,
  p_object_key text,
  p_original_name text,
  p_content_type text,
  p_size_bytes bigint,
  p_sha256 text,
  p_audit_meta jsonb,
  p_enqueue boolean,
  p_storage_object jsonb default null
)
returns table (outcome text, invoice_id uuid, file_id uuid, role text)
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_role text;
  v_file uuid;
  v_invoice uuid;
begin
  select m.role::text
    into v_role
    from public.client_members m
   where m.client_id = p_client_id
     and m.user_id = (select auth.uid());
  if v_role is null then
    return query select 'not_member'::text, null::uuid, null::uuid, null::text;
    return;
  end if;
  if v_role not in ('owner', 'operator') then
    return query select 'forbidden'::text, null::uuid, null::uuid, v_role;
    return;
  end if;

  select f.id, i.id
    into v_file, v_invoice
    from public.files f
    left join public.invoices i on i.file_id = f.id
   where f.client_id = p_client_id
     and f.sha256 = p_sha256
   limit 1;
  if v_file is not null then
    return query select 'duplicate'::text, v_invoice, v_file, v_role;
    return;
  end if;

  if p_storage_object is not null then
    insert into storage.objects (bucket_id, name, owner, owner_id, metadata, version)
    values (
      p_storage_object ->> 'bucket_id',
      p_storage_object ->> 'name',
      (p_storage_object ->> 'owner')::uuid,
      p_storage_object ->> 'owner',
      p_storage_object -> 'metadata',
      p_storage_object ->> 'version'
    );
  end if;

  if p_new_batch then
    insert into public.batches (id, client_id, name, file_count, status)
    values (p_batch_id, p_client_id, p_batch_name, p_file_count, 'processing');
  end if;

  insert into public.files (client_id, bucket, object_key, original_name, content_type,
                            size_bytes, sha256)
  values (p_client_id, p_bucket, p_object_key, p_original_name, p_content_type, p_size_bytes,
          p_sha256)
  returning id into v_file;

  insert into public.invoices (client_id, file_id, batch_id)
  values (p_client_id, v_file, p_batch_id)
  returning id into v_invoice;

  if p_enqueue then
    perform public.enqueue_invoice_processing(v_invoice);
  end if;

  return query select 'accepted'::text, v_invoice, v_file, v_role;
end;
$$;

-- Grants -------------------------------------------------------------------------------------
-- invoices: insert only what an upload names; update only the plain correction columns.
revoke insert, update on table public.invoices from authenticated;
grant insert (id, client_id, file_id, batch_id) on table public.invoices to authenticated;
grant update (vendor_name, vendor_vat_id, customer_name, customer_vat_id, invoice_number,
              po_number, document_type, invoice_date, due_date)
  on table public.invoices to authenticated;
-- lines and match rows: written by the doors only.
revoke insert, update, delete on table public.invoice_lines, public.matches from authenticated;
drop policy invoice_lines_insert on public.invoice_lines;
drop policy invoice_lines_update on public.invoice_lines;
drop policy invoice_lines_delete on public.invoice_lines;
drop policy matches_insert on public.matches;
drop policy matches_update on public.matches;
drop policy matches_delete on public.matches;
-- audit events: written by doors and triggers, never by users.
revoke insert on table public.audit_events from authenticated;
revoke usage on sequence public.audit_events_id_seq from authenticated;
drop policy audit_events_insert on public.audit_events;

revoke all on function public.audit_diff(jsonb, jsonb, text[]) from public, anon, authenticated;
revoke all on function public.invoice_lines_snapshot(uuid) from public, anon, authenticated;
revoke all on function public.invoice_apply_action(text, uuid, text, integer, jsonb, jsonb)
  from public, anon, authenticated;
revoke all on function public.invoice_transition(uuid, text, integer, jsonb, jsonb)
  from public, anon;
revoke all on function public.invoice_correct(uuid, text, integer, jsonb, jsonb)
  from public, anon;
grant execute on function public.invoice_transition(uuid, text, integer, jsonb, jsonb)
  to authenticated;
grant execute on function public.invoice_correct(uuid, text, integer, jsonb, jsonb)
  to authenticated;
revoke all on function public.invoices_guard_direct_update() from public, anon, authenticated;
revoke all on function public.audit_invoice_change() from public, anon, authenticated;
revoke all on function public.stamp_creator() from public, anon, authenticated;
