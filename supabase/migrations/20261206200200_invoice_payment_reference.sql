-- payment_reference: the reference a payment of the invoice must carry (structured creditor
-- reference, remittance text), which accounts payable needs to pay and reconcile.
--
-- Set by a reviewer's correction (public.invoice_correct, action invoice.corrected), never by
-- table access (like the IBAN and the amounts, it decides where and how money goes), audited by
-- the door like every other field. The door's final update now takes its column list from the
-- catalog, so the next settable column is a migration of its own few lines (add the column, add
-- it to invoice_actions.fields and its check) and no copy of the door.

alter table public.invoices add column payment_reference text
  check (char_length(payment_reference) <= 140);

alter table public.invoice_actions drop constraint invoice_actions_fields_check;
alter table public.invoice_actions add constraint invoice_actions_fields_check
  check (fields <@ array[
    'vendor_name', 'vendor_vat_id', 'vendor_iban', 'customer_name', 'customer_vat_id',
    'invoice_number', 'po_number', 'document_type', 'invoice_date', 'due_date', 'currency',
    'subtotal', 'tax', 'total', 'amount_due', 'extraction', 'extractor', 'extractor_version',
    'model', 'prompt_version', 'confidence', 'failure_reason', 'vendor_id', 'purchase_order_id',
    'match_band', 'match_score', 'payment_reference'
  ]);
update public.invoice_actions
   set fields = fields || '{payment_reference}'
 where action = 'invoice.corrected';
do $$
begin
  if not exists (select 1 from public.invoice_actions
                  where action = 'invoice.corrected' and 'payment_reference' = any (fields)) then
    raise exception 'invoice.corrected does not list payment_reference (row level security?)';
  end if;
end
$$;

-- The door, unchanged but for its last statement (see above).
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

  -- Every column an action may set (invoice_actions.fields), from the row the checks built:
  -- the list comes from the catalog, so a new settable column needs no new door.
  execute (
    select format('update public.invoices i set %s where i.id = $1', string_agg(
             format('%1$I = ($2).%1$I', a.attname), ', ' order by a.attnum))
      from pg_catalog.pg_attribute a
     where a.attrelid = 'public.invoices'::regclass and a.attnum > 0 and not a.attisdropped
       and a.attname <> all (array['id', 'client_id', 'file_id', 'batch_id', 'created_by',
                                   'version', 'created_at', 'updated_at'])
  ) using v_old.id, v_new;
  return v_old.version + 1;
end;
$$;

revoke all on function public.invoice_apply_action(text, uuid, text, integer, jsonb, jsonb)
  from public, anon, authenticated;
