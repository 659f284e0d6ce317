-- A review loop operators can trust (issue 13): an approval policy the database enforces,
-- re-matching after corrections, vendors created from an invoice, and the checks a reviewer sees.
--
--   * approval_policies: per client, versioned and immutable like match_profiles (saved by insert,
--     activated through public.activate_approval_policy). A policy names the reason codes that
--     block an approval (`blocks`, e.g. 'vendor.unknown', 'match.undecided',
--     'duplicate.possible', 'check.totals_mismatch', 'line.*'), the roles that may approve over a
--     block with a reason (`override_roles`), and the trust ladder's settings (`trust_ladder`,
--     read by the straight-through approval of issue 14). Without an active version the client
--     runs public.default_approval_policy().
--   * public.approval_reasons(invoice) lists everything a reviewer should know before approving,
--     each reason with a stable code, plain words, the fields it is about and whether the
--     client's policy blocks on it. Its sources: the vendor (unknown), the match rows
--     (undecided, possible duplicate), the arithmetic and identifier checks recomputed from the
--     invoice's current values (public.invoice_checks), and line exceptions of the 3-way match
--     (public.invoice_line_exceptions: issue 16 fills it; codes 'line.<exception>').
--   * The door (invoice_apply_action) refuses status.approved and status.auto_approved while a
--     blocking reason exists (SQLSTATE IFB01, the reasons as JSON in the error's DETAIL), and
--     runs approval.overridden: an approval over the blocks, only for the policy's override
--     roles, only with a reason, audited with the reasons it overrode and the policy version.
--     So a PostgREST client calling the door gets the same blocks as the API and the console.
--   * match.rematched: a reviewer's correction (or an explicit request) re-runs matching; the
--     door replaces the match rows of the kinds that were re-run, decided or not, and audits
--     what was replaced, by what, and why.
--   * public.create_vendor_from_invoice: owners and operators add a vendor to the master from an
--     invoice (audited as vendor.created) and the invoice's vendor match moves to it in the same
--     transaction (match.overridden).
--   * invoices.line_total (the sum of the line net amounts the document prints): a check compares
--     the lines with it, so a reviewer must see and correct it; invoice_lines.allowance and
--     .charge: line-level allowances and charges count in the line arithmetic.

-- Columns ------------------------------------------------------------------------------------
alter table public.invoices add column line_total numeric(18, 4);
alter table public.invoice_lines
  add column allowance numeric(18, 4),
  add column charge numeric(18, 4);

-- The extraction already stored the line total; copy it once (a data migration, not anyone's
-- change: no version bump, no audit event).
alter table public.invoices disable trigger user;
update public.invoices i
   set line_total = (i.extraction -> 'line_total' ->> 'value')::numeric
 where jsonb_typeof(i.extraction -> 'line_total' -> 'value') in ('number', 'string')
   and (i.extraction -> 'line_total' ->> 'value') ~ '^-?[0-9]+(\.[0-9]+)?$'
   and abs((i.extraction -> 'line_total' ->> 'value')::numeric) < 1e14;
alter table public.invoices enable trigger user;

-- The action registry ------------------------------------------------------------------------
alter table public.invoice_actions drop constraint invoice_actions_fields_check;
alter table public.invoice_actions add constraint invoice_actions_fields_check
  check (fields <@ array[
    'vendor_name', 'vendor_vat_id', 'vendor_iban', 'customer_name', 'customer_vat_id',
    'invoice_number', 'po_number', 'document_type', 'invoice_date', 'due_date', 'currency',
    'subtotal', 'tax', 'total', 'amount_due', 'extraction', 'extractor', 'extractor_version',
    'model', 'prompt_version', 'confidence', 'failure_reason', 'vendor_id', 'purchase_order_id',
    'match_band', 'match_score', 'payment_reference', 'line_total'
  ]);
alter table public.invoice_actions drop constraint invoice_actions_matches_check;
alter table public.invoice_actions add constraint invoice_actions_matches_check
  check (matches in ('propose', 'decide', 'rematch'));
update public.invoice_actions
   set fields = fields || '{line_total}'
 where action in ('status.extracted', 'invoice.corrected');
insert into public.invoice_actions
  (action, door, target_status, from_statuses, roles, fields, lines, matches, stamps_review)
values
  -- Approving over the policy's blocks: the policy's override_roles narrow these roles further.
  ('approval.overridden', 'transition', 'approved', '{needs_review,auto_approved}',
   '{owner,operator}', '{}', false, null, true),
  ('match.rematched', 'correct', 'needs_review', '{needs_review,auto_approved}',
   '{owner,operator}', '{vendor_id,purchase_order_id,match_band,match_score}', false,
   'rematch', false);

-- Approval policies --------------------------------------------------------------------------
-- What the door relies on; core.workflow.approval_policy.ApprovalPolicy validates the rest.
create or replace function public.approval_policy_valid(p_policy jsonb)
returns boolean
language sql
immutable
set search_path = ''
as $$
  select jsonb_typeof(p_policy) = 'object'
     and jsonb_typeof(p_policy -> 'blocks') = 'array'
     and jsonb_typeof(p_policy -> 'override_roles') = 'array'
     and not exists (
       select 1 from jsonb_array_elements(p_policy -> 'blocks') b
        where jsonb_typeof(b) <> 'string'
           or (b #>> '{}') !~ '^[a-z][a-z0-9_]*\.([a-z][a-z0-9_]*|\*)$')
     and not exists (
       select 1 from jsonb_array_elements(p_policy -> 'override_roles') r
        where jsonb_typeof(r) <> 'string' or (r #>> '{}') not in ('owner', 'operator'))
     and (p_policy -> 'trust_ladder' is null
          or jsonb_typeof(p_policy -> 'trust_ladder') = 'object')
$$;

-- The policy of a client without an active version (core.workflow.approval_policy.ApprovalPolicy
-- has the same defaults; a test compares them).
create or replace function public.default_approval_policy()
returns jsonb
language sql
immutable
set search_path = ''
as $$
  select jsonb_build_object(
    'blocks', jsonb_build_array(
      'vendor.unknown', 'match.undecided', 'duplicate.possible',
      'check.totals_mismatch', 'check.line_sum_mismatch', 'check.line_arithmetic',
      'check.due_before_invoice_date', 'check.iban_checksum', 'check.currency_missing',
      'line.*'),
    'override_roles', jsonb_build_array('owner'),
    'trust_ladder', jsonb_build_object('enabled', false, 'clean_invoices', 3, 'max_total', null))
$$;

create table public.approval_policies (
  id uuid primary key default gen_random_uuid(),
  client_id uuid not null references public.clients (id) on delete cascade,
  version integer not null check (version > 0),
  name text not null check (char_length(btrim(name)) between 1 and 100),
  policy jsonb not null check (public.approval_policy_valid(policy)),
  is_active boolean not null default false,
  notes text check (char_length(notes) <= 2000),
  created_by uuid references auth.users (id) on delete set null default auth.uid(),
  created_at timestamptz not null default now(),
  unique (client_id, version)
);
create unique index approval_policies_one_active_idx
  on public.approval_policies (client_id) where is_active;

alter table public.approval_policies enable row level security;
alter table public.approval_policies force row level security;
revoke all on table public.approval_policies from public, anon, authenticated, service_role;
-- Members read (the review screen says what blocks); owners save and delete versions; nobody
-- updates one (immutable; activation is public.activate_approval_policy).
create policy approval_policies_select on public.approval_policies for select to authenticated
  using (client_id in (select public.member_client_ids()));
create policy approval_policies_insert on public.approval_policies for insert to authenticated
  with check (client_id in (select public.member_client_ids('{owner}')));
create policy approval_policies_delete on public.approval_policies for delete to authenticated
  using (client_id in (select public.member_client_ids('{owner}')));
grant select, delete on table public.approval_policies to authenticated;
grant insert (id, client_id, version, name, policy, notes)
  on table public.approval_policies to authenticated;
grant select, insert, update, delete on table public.approval_policies to service_role;

create trigger approval_policies_stamp_creator before insert or update
  on public.approval_policies
  for each row execute function public.stamp_creator('created_by');

create or replace function public.audit_approval_policy_change() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    insert into public.audit_events (client_id, actor_id, action, after)
    values (new.client_id, (select auth.uid()), 'approval_policy.saved',
            jsonb_build_object('version', new.version, 'name', new.name, 'policy', new.policy));
  elsif exists (select 1 from public.clients c where c.id = old.client_id) then
    insert into public.audit_events (client_id, actor_id, action, before)
    values (old.client_id, (select auth.uid()), 'approval_policy.deleted',
            jsonb_build_object('version', old.version, 'name', old.name,
                               'is_active', old.is_active));
  end if;
  return null;
end
$$;
create trigger approval_policies_audit after insert or delete on public.approval_policies
  for each row execute function public.audit_approval_policy_change();

create or replace function public.activate_approval_policy(p_client_id uuid, p_version integer)
returns public.approval_policies
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_policy public.approval_policies;
  v_previous integer;
begin
  if p_client_id not in (select public.member_client_ids()) then
    raise exception 'client not found' using errcode = 'P0002';
  end if;
  if p_client_id not in (select public.member_client_ids('{owner}')) then
    raise exception 'only owners activate approval policies' using errcode = '42501';
  end if;
  select * into v_policy
    from public.approval_policies p
   where p.client_id = p_client_id and p.version = p_version
     for update;
  if not found then
    raise exception 'approval policy version % not found', p_version using errcode = 'P0002';
  end if;
  select p.version into v_previous
    from public.approval_policies p
   where p.client_id = p_client_id and p.is_active
     for update;
  update public.approval_policies p set is_active = false
   where p.client_id = p_client_id and p.is_active and p.id <> v_policy.id;
  update public.approval_policies p set is_active = true
   where p.id = v_policy.id
  returning * into v_policy;
  insert into public.audit_events (client_id, actor_id, action, before, after)
  values (p_client_id, (select auth.uid()), 'approval_policy.activated',
          jsonb_build_object('version', v_previous),
          jsonb_build_object('version', p_version, 'policy', v_policy.policy));
  return v_policy;
end;
$$;

-- The policy that decides for a client now: its active version, else the default (version null).
create or replace function public.approval_policy_of(p_client_id uuid)
returns table (version integer, policy jsonb)
language sql
stable
security invoker
set search_path = ''
as $$
  select p.version, p.policy
    from public.approval_policies p
   where p.client_id = p_client_id and p.is_active
  union all
  select null::integer, public.default_approval_policy()
   where not exists (select 1 from public.approval_policies p
                      where p.client_id = p_client_id and p.is_active)
$$;

-- Whether a policy's `blocks` list names a reason code ('line.*' names every 'line.' code).
create or replace function public.approval_code_blocks(p_blocks jsonb, p_code text)
returns boolean
language sql
immutable
set search_path = ''
as $$
  select exists (
    select 1 from jsonb_array_elements_text(coalesce(p_blocks, '[]'::jsonb)) b
     where b = p_code or (right(b, 2) = '.*' and starts_with(p_code, left(b, -1))))
$$;

-- Checks -------------------------------------------------------------------------------------
-- IBAN shape and ISO 13616 check digits (mod 97).
create or replace function public.iban_valid(p_iban text)
returns boolean
language plpgsql
immutable
set search_path = ''
as $$
declare
  v text := upper(regexp_replace(coalesce(p_iban, ''), '\s', '', 'g'));
  v_rot text;
  v_mod integer := 0;
  v_c text;
  v_n integer;
begin
  if v !~ '^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$' then
    return false;
  end if;
  v_rot := substr(v, 5) || substr(v, 1, 4);
  for i in 1 .. length(v_rot) loop
    v_c := substr(v_rot, i, 1);
    if v_c between '0' and '9' then
      v_mod := (v_mod * 10 + v_c::integer) % 97;
    else
      v_n := ascii(v_c) - 55;  -- A = 10 ... Z = 35
      v_mod := (v_mod * 100 + v_n) % 97;
    end if;
  end loop;
  return v_mod = 1;
end
$$;

-- The checks of an invoice as it stands now. Arithmetic, dates, IBAN and currency are recomputed
-- from the current values, so a correction fixes (or breaks) them at once. The checks that need
-- the document's text or country rules (VAT id shape, vendor = customer, currency not printed)
-- come from the extraction and hold while the fields they name keep their extracted values.
-- Codes are those of core/extraction/validation.py; a test compares both on the same invoices.
create or replace function public.invoice_checks(p_invoice_id uuid)
returns table (code text, message text, fields text[], detail jsonb)
language sql
stable
security invoker
set search_path = ''
as $$
  with inv as (
    select i.* from public.invoices i where i.id = p_invoice_id
  ), lines as (
    select l.* from public.invoice_lines l where l.invoice_id = p_invoice_id
  ), sums as (
    select count(*) as n, count(l.amount) as n_amount, sum(l.amount) as total from lines l
  ), warnings as (
    select split_part(w, ':', 1) as code,
           btrim(substr(w, char_length(split_part(w, ':', 1)) + 2)) as said
      from inv,
           jsonb_array_elements_text(
             case when jsonb_typeof(inv.extraction -> 'warnings') = 'array'
                  then inv.extraction -> 'warnings' else '[]'::jsonb end) w
  ), stored as (
    select w.code, w.said,
           case w.code
             when 'vat_id_shape' then
               case when split_part(w.said, ' ', 1) in ('vendor_vat_id', 'customer_vat_id')
                    then array[split_part(w.said, ' ', 1)] end
             when 'currency_not_in_text' then array['currency']
             when 'vendor_equals_customer' then
               case when w.said = 'same VAT id' then array['vendor_vat_id', 'customer_vat_id']
                    else array['vendor_name', 'customer_name'] end
           end as fields
      from warnings w
     where w.code in ('vat_id_shape', 'currency_not_in_text', 'vendor_equals_customer')
  )
  select 'totals_mismatch',
         format('Net %s + tax %s makes %s, but the total says %s.', round(i.subtotal, 2),
                round(i.tax, 2), round(i.subtotal + i.tax, 2), round(i.total, 2)),
         array['subtotal', 'tax', 'total'],
         jsonb_build_object('subtotal', i.subtotal, 'tax', i.tax, 'total', i.total)
    from inv i
   where i.subtotal is not null and i.tax is not null and i.total is not null
     and abs(i.subtotal + i.tax - i.total) > 0.01
  union all
  select 'line_sum_mismatch',
         format('The lines add up to %s, but the %s says %s.', round(s.total, 2),
                case when i.line_total is not null then 'line total' else 'net amount' end,
                round(coalesce(i.line_total, i.subtotal), 2)),
         array[case when i.line_total is not null then 'line_total' else 'subtotal' end, 'lines'],
         jsonb_build_object('lines_sum', s.total,
                            'document', coalesce(i.line_total, i.subtotal))
    from inv i, sums s
   where s.n > 0 and s.n = s.n_amount and coalesce(i.line_total, i.subtotal) is not null
     and abs(s.total - coalesce(i.line_total, i.subtotal)) > 0.01
  union all
  select 'line_arithmetic',
         format('Line %s: %s × %s%s%s makes %s, but the line amount is %s.', l.line_no,
                trim_scale(l.quantity), round(l.unit_price, 2),
                case when coalesce(l.allowance, 0) <> 0
                     then format(' − allowance %s', round(l.allowance, 2)) else '' end,
                case when coalesce(l.charge, 0) <> 0
                     then format(' + charge %s', round(l.charge, 2)) else '' end,
                round(l.quantity * l.unit_price - coalesce(l.allowance, 0)
                      + coalesce(l.charge, 0), 2),
                round(l.amount, 2)),
         array['lines'],
         jsonb_build_object('line_no', l.line_no, 'quantity', l.quantity,
                            'unit_price', l.unit_price, 'allowance', l.allowance,
                            'charge', l.charge, 'amount', l.amount)
    from lines l
   where l.quantity is not null and l.unit_price is not null and l.amount is not null
     and abs(l.quantity * l.unit_price - coalesce(l.allowance, 0) + coalesce(l.charge, 0)
             - l.amount) > greatest(0.01, abs(l.quantity) * 0.00005)
  union all
  select 'due_before_invoice_date',
         format('The due date %s is before the invoice date %s.', i.due_date, i.invoice_date),
         array['invoice_date', 'due_date'],
         jsonb_build_object('invoice_date', i.invoice_date, 'due_date', i.due_date)
    from inv i
   where i.due_date < i.invoice_date
  union all
  select 'iban_checksum',
         format('The IBAN %s is not valid (its check digits do not match).', i.vendor_iban),
         array['vendor_iban'],
         jsonb_build_object('vendor_iban', i.vendor_iban)
    from inv i
   where i.vendor_iban is not null and not public.iban_valid(i.vendor_iban)
  union all
  select 'currency_missing', 'No currency is set: the document shows none that was read.',
         array['currency'], '{}'::jsonb
    from inv i
   where i.currency is null and i.status not in ('received', 'extracting', 'failed')
  union all
  select w.code,
         case w.code
           when 'vat_id_shape' then
             format('The %s %s does not look like a valid VAT id.',
                    replace(replace(w.fields[1], '_vat_id', ''), '_', ' ') || ' VAT id',
                    to_jsonb(i) ->> w.fields[1])
           when 'currency_not_in_text' then
             format('The currency %s is not printed on the document.', i.currency)
           else format('The vendor and the customer look the same (%s): one was probably misread.',
                       w.said)
         end,
         w.fields,
         jsonb_build_object('extracted', w.said)
    from stored w, inv i
   where w.fields[1] is not null
     and not exists (
       select 1 from unnest(w.fields) f
        where (to_jsonb(i) ->> f) is distinct from (i.extraction -> f ->> 'value'))
$$;

-- Line exceptions of the 3-way match (over-billed quantity, price variance, not received...),
-- as reason codes 'line.<exception>'. Empty until the 3-way match stores its exceptions
-- (issue 16 replaces this function's body; the policy's 'line.*' already names them).
create or replace function public.invoice_line_exceptions(p_invoice_id uuid)
returns table (code text, message text, fields text[], detail jsonb)
language sql
stable
security invoker
set search_path = ''
as $$
  select null::text, null::text, null::text[], null::jsonb where false
$$;

-- Everything that speaks against approving an invoice now, and whether the policy blocks on it.
create or replace function public.approval_reasons(p_invoice_id uuid)
returns table (code text, message text, fields text[], detail jsonb, blocking boolean)
language plpgsql
stable
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_inv public.invoices;
  v_blocks jsonb;
begin
  select * into v_inv from public.invoices i where i.id = p_invoice_id;
  if not found then
    raise exception 'invoice not found' using errcode = 'P0002';
  end if;
  select p.policy -> 'blocks' into v_blocks from public.approval_policy_of(v_inv.client_id) p;
  return query
  with r (code, message, fields, detail) as (
    select 'vendor.unknown',
           case when v_inv.vendor_name is null
                then 'No vendor is chosen, and none was read from the document.'
                else format('No vendor from your vendor list is chosen for “%s”: choose one or '
                            'create the vendor.', v_inv.vendor_name) end,
           array['vendor_name'],
           jsonb_build_object('vendor_name', v_inv.vendor_name)
     where v_inv.vendor_id is null
    union all
    select 'match.undecided',
           case when m.kind = 'vendor'
                then format('The vendor match to “%s” (score %s of 100) is not confirmed yet.',
                            coalesce(v.name, '?'), round(coalesce(m.score, 0)))
                when m.purchase_order_id is null
                then format('The purchase order is not settled: %s.', m.reason)
                else format('The match to purchase order %s is not confirmed yet: %s.',
                            po.po_number, m.reason) end,
           case when m.kind = 'vendor' then array['vendor_name'] else array['po_number'] end,
           jsonb_build_object('match_id', m.id, 'kind', m.kind, 'band', m.band,
                              'score', m.score)
      from public.matches m
      left join public.vendors v on v.id = m.vendor_id
      left join public.purchase_orders po on po.id = m.purchase_order_id
     where m.invoice_id = v_inv.id and m.kind <> 'duplicate' and m.status = 'proposed'
       and m.band = 'review'
       -- an empty vendor proposal is the unknown vendor above, not a decision to take
       and not (m.kind = 'vendor' and m.vendor_id is null)
    union all
    select 'duplicate.possible',
           format('This may be a duplicate of invoice %s from %s (%s %s, %s).',
                  coalesce(d.invoice_number, '?'), coalesce(d.vendor_name, '?'),
                  coalesce(round(d.total, 2)::text, '?'), coalesce(d.currency, ''),
                  replace(coalesce(d.status, 'deleted'), '_', ' ')),
           array['invoice_number'],
           jsonb_build_object('match_id', m.id, 'duplicate_of_invoice_id',
                              m.duplicate_of_invoice_id, 'decision', m.status)
      from public.matches m
      left join public.invoices d on d.id = m.duplicate_of_invoice_id
     where m.invoice_id = v_inv.id and m.kind = 'duplicate'
       and m.status in ('proposed', 'confirmed')
    union all
    select 'check.' || c.code, c.message, c.fields, c.detail
      from public.invoice_checks(v_inv.id) c
    union all
    select e.code, e.message, e.fields, e.detail
      from public.invoice_line_exceptions(v_inv.id) e
  )
  select r.code, r.message, r.fields, r.detail, public.approval_code_blocks(v_blocks, r.code)
    from r;
end
$$;

-- The door ----------------------------------------------------------------------------------
-- Lines as an audit snapshot, now with allowances and charges.
create or replace function public.invoice_lines_snapshot(p_invoice_id uuid)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
           'line_no', l.line_no, 'description', l.description, 'product_code', l.product_code,
           'quantity', l.quantity, 'unit', l.unit, 'unit_price', l.unit_price,
           'amount', l.amount, 'tax_rate', l.tax_rate, 'allowance', l.allowance,
           'charge', l.charge)) order by l.line_no), '[]'::jsonb)
    from public.invoice_lines l
   where l.invoice_id = p_invoice_id
$$;

-- Match rows as an audit snapshot (what a re-match replaced, and by what).
create or replace function public.match_rows_snapshot(p_rows jsonb)
returns jsonb
language sql
immutable
set search_path = ''
as $$
  select coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
           'kind', r ->> 'kind', 'status', coalesce(r ->> 'status', 'proposed'),
           'band', r ->> 'band', 'score', r -> 'score', 'vendor_id', r ->> 'vendor_id',
           'purchase_order_id', r ->> 'purchase_order_id',
           'duplicate_of_invoice_id', r ->> 'duplicate_of_invoice_id',
           'reason', left(r ->> 'reason', 300)))), '[]'::jsonb)
    from jsonb_array_elements(coalesce(p_rows, '[]'::jsonb)) r
$$;

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
  v_policy_version integer;
  v_policy jsonb;
  v_blocks jsonb;
  v_reason text;
  v_kinds text[];
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
     and not (k = 'matches' and v_act.matches in ('propose', 'rematch'))
     and not (k = 'kinds' and v_act.matches = 'rematch')
     and not (k = 'match' and v_act.matches = 'decide');
  if v_bad is not null then
    raise exception '% may not set %', p_action, v_bad using errcode = '22023';
  end if;
  if p_expected_version is not null and p_expected_version <> v_old.version then
    return null;  -- someone else changed it since the caller read it
  end if;

  -- The approval policy: approvals and auto-approvals only without blocking reasons, unless an
  -- allowed role overrides them with a reason.
  if p_action in ('status.approved', 'status.auto_approved', 'approval.overridden') then
    select p.version, p.policy into v_policy_version, v_policy
      from public.approval_policy_of(v_old.client_id) p;
    select coalesce(jsonb_agg(jsonb_build_object('code', r.code, 'message', r.message)
                              order by r.code), '[]'::jsonb)
      into v_blocks
      from public.approval_reasons(v_old.id) r
     where r.blocking;
    v_meta := v_meta || jsonb_build_object('policy_version', v_policy_version);
    if p_action = 'approval.overridden' then
      v_reason := btrim(coalesce(p_meta ->> 'reason', ''));
      if char_length(v_reason) < 3 then
        raise exception 'an override needs a reason' using errcode = '22023';
      end if;
      if jsonb_array_length(v_blocks) = 0 then
        raise exception 'nothing blocks this approval: approve it without an override'
          using errcode = '22023';
      end if;
      if v_old.client_id not in (select public.member_client_ids(array(
           select jsonb_array_elements_text(v_policy -> 'override_roles')
         )::public.member_role[])) then
        raise exception 'your role may not approve over the approval policy''s blocks'
          using errcode = '42501';
      end if;
      v_meta := v_meta || jsonb_build_object('overridden', v_blocks, 'reason', left(v_reason, 500));
    elsif jsonb_array_length(v_blocks) > 0 then
      raise exception 'the approval policy blocks this approval'
        using errcode = 'IFB01', detail = v_blocks::text;
    end if;
  end if;

  v_new := jsonb_populate_record(v_old, v_changes - 'lines' - 'matches' - 'match' - 'kinds');
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
      -- Confirming needs something to confirm: a vendor or PO the match proposes.
      if (v_match.kind = 'vendor' and v_match.vendor_id is null)
         or (v_match.kind = 'purchase_order' and v_match.purchase_order_id is null) then
        raise exception 'this match proposes no % to confirm', replace(v_match.kind, '_', ' ')
          using errcode = '55000';
      end if;
      if v_match.kind = 'vendor' then
        v_new.vendor_id := v_match.vendor_id;
      end if;
      if v_match.kind = 'purchase_order' then
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
      select coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
               'line_no', r.line_no, 'description', r.description,
               'product_code', r.product_code, 'quantity', r.quantity, 'unit', r.unit,
               'unit_price', r.unit_price, 'amount', r.amount, 'tax_rate', r.tax_rate,
               'allowance', r.allowance, 'charge', r.charge))
               order by r.line_no), '[]'::jsonb)
        from jsonb_populate_recordset(null::public.invoice_lines, v_changes -> 'lines') r);
    v_meta := v_meta || jsonb_build_object(
      'lines_before', public.invoice_lines_snapshot(v_old.id), 'lines_after', v_lines);
  end if;
  if v_act.matches in ('propose', 'rematch') and v_changes ? 'matches' then
    if jsonb_typeof(v_changes -> 'matches') is distinct from 'array' then
      raise exception 'matches must be an array' using errcode = '22023';
    end if;
    v_meta := v_meta || jsonb_build_object(
      'matches_proposed', jsonb_array_length(v_changes -> 'matches'));
  end if;
  if v_act.matches = 'rematch' then
    -- Which kinds were matched again: their rows (decided or not) give way to the new ones.
    if jsonb_typeof(v_changes -> 'kinds') is distinct from 'array'
       or jsonb_array_length(v_changes -> 'kinds') = 0
       or jsonb_typeof(coalesce(v_changes -> 'matches', '[]'::jsonb)) <> 'array' then
      raise exception 'a re-match names the kinds it re-ran (kinds) and their rows (matches)'
        using errcode = '22023';
    end if;
    v_kinds := array(select jsonb_array_elements_text(v_changes -> 'kinds'));
    if exists (select 1 from jsonb_array_elements(coalesce(v_changes -> 'matches', '[]'::jsonb)) r
                where not ((r ->> 'kind') = any (v_kinds))) then
      raise exception 'a re-match may only propose rows of the kinds it re-ran'
        using errcode = '22023';
    end if;
    v_meta := v_meta || jsonb_build_object(
      'kinds', to_jsonb(v_kinds),
      'matches_before', public.match_rows_snapshot((
        select coalesce(jsonb_agg(to_jsonb(m) order by m.kind, m.created_at), '[]'::jsonb)
          from public.matches m
         where m.invoice_id = v_old.id and m.kind = any (v_kinds))),
      'matches_after', public.match_rows_snapshot(v_changes -> 'matches'));
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
                                      quantity, unit, unit_price, amount, tax_rate, allowance,
                                      charge)
    select v_old.client_id, v_old.id, r.line_no, r.description, r.product_code, r.quantity,
           r.unit, r.unit_price, r.amount, r.tax_rate, r.allowance, r.charge
      from jsonb_populate_recordset(null::public.invoice_lines, v_changes -> 'lines') r;
  end if;
  if v_act.matches = 'propose' and v_changes ? 'matches' then
    delete from public.matches m where m.invoice_id = v_old.id and m.status = 'proposed';
  elsif v_act.matches = 'rematch' then
    delete from public.matches m where m.invoice_id = v_old.id and m.kind = any (v_kinds);
  end if;
  if v_act.matches in ('propose', 'rematch') and v_changes ? 'matches' then
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

-- Vendors created from an invoice ------------------------------------------------------------
-- Adds the vendor to the client's master (owners and operators, an invoice they may correct),
-- refuses one the master already holds by name, VAT id or IBAN (the caller asked the matcher
-- first: "did you mean ..."), writes vendor.created, and moves the invoice's vendor match to the
-- new vendor in the same transaction (match.overridden, or invoice.corrected without a match).
create or replace function public.create_vendor_from_invoice(
  p_invoice_id uuid,
  p_expected_version integer,
  p_vendor jsonb,
  p_meta jsonb default '{}'::jsonb
) returns table (vendor_id uuid, version integer)
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_uid uuid := (select auth.uid());
  v_inv public.invoices;
  v_name text := btrim(coalesce(p_vendor ->> 'name', ''));
  v_vat text := nullif(upper(regexp_replace(coalesce(p_vendor ->> 'vat_id', ''), '[\s.\-]', '',
                                            'g')), '');
  v_iban text := nullif(upper(regexp_replace(coalesce(p_vendor ->> 'iban', ''), '\s', '', 'g')),
                        '');
  v_vendor public.vendors;
  v_match uuid;
  v_version integer;
  v_meta jsonb;
begin
  if v_uid is null then
    raise exception 'only a signed-in user creates vendors' using errcode = '42501';
  end if;
  if jsonb_typeof(p_vendor) is distinct from 'object'
     or jsonb_typeof(coalesce(p_meta, '{}'::jsonb)) is distinct from 'object'
     or octet_length(coalesce(p_meta, '{}'::jsonb)::text) > 16384 then
    raise exception 'the vendor and meta must be JSON objects' using errcode = '22023';
  end if;
  if char_length(v_name) not between 1 and 300
     or char_length(coalesce(p_vendor ->> 'address', '')) > 500
     or char_length(coalesce(v_vat, '')) > 40 or char_length(coalesce(v_iban, '')) > 40 then
    raise exception 'a vendor needs a name (at most 300 characters)' using errcode = '22023';
  end if;
  select * into v_inv
    from public.invoices i
   where i.id = p_invoice_id and i.client_id in (select public.member_client_ids())
     for update;
  if not found then
    raise exception 'invoice not found' using errcode = 'P0002';
  end if;
  if v_inv.client_id not in (select public.member_client_ids('{owner,operator}')) then
    raise exception 'your role may not create vendors' using errcode = '42501';
  end if;
  if v_inv.status not in ('needs_review', 'auto_approved') then
    raise exception 'an invoice in status % cannot be corrected', v_inv.status
      using errcode = '55000';
  end if;
  if p_expected_version is not null and p_expected_version <> v_inv.version then
    return;  -- stale: nothing created (the caller reports a conflict)
  end if;
  if exists (
    select 1 from public.vendors v
     where v.client_id = v_inv.client_id
       and (lower(btrim(v.name)) = lower(v_name)
            or (v_vat is not null
                and upper(regexp_replace(coalesce(v.vat_id, ''), '[\s.\-]', '', 'g')) = v_vat)
            or (v_iban is not null
                and upper(regexp_replace(coalesce(v.iban, ''), '\s', '', 'g')) = v_iban))
  ) then
    raise exception 'the vendor master already has this vendor (same name, VAT id or IBAN)'
      using errcode = '23505';
  end if;

  insert into public.vendors (client_id, name, vat_id, iban, address, country)
  values (v_inv.client_id, v_name, v_vat, v_iban, nullif(btrim(p_vendor ->> 'address'), ''),
          nullif(upper(btrim(coalesce(p_vendor ->> 'country', ''))), ''))
  returning * into v_vendor;
  insert into public.audit_events (client_id, invoice_id, actor_id, action, after, meta)
  values (v_inv.client_id, v_inv.id, v_uid, 'vendor.created',
          jsonb_strip_nulls(jsonb_build_object('vendor_id', v_vendor.id, 'name', v_vendor.name,
                                               'vat_id', v_vendor.vat_id, 'iban', v_vendor.iban,
                                               'address', v_vendor.address,
                                               'country', v_vendor.country)),
          coalesce(p_meta, '{}'::jsonb) || jsonb_build_object('source', 'invoice'));

  v_meta := coalesce(p_meta, '{}'::jsonb) || jsonb_build_object('vendor_created', v_vendor.id);
  select m.id into v_match
    from public.matches m
   where m.invoice_id = v_inv.id and m.kind = 'vendor'
   order by m.created_at desc
   limit 1;
  if v_match is not null then
    v_version := public.invoice_apply_action(
      'correct', v_inv.id, 'match.overridden', v_inv.version,
      jsonb_build_object('match', jsonb_build_object('id', v_match, 'vendor_id', v_vendor.id)),
      v_meta);
  else
    v_version := public.invoice_apply_action(
      'correct', v_inv.id, 'invoice.corrected', v_inv.version,
      jsonb_build_object('vendor_id', v_vendor.id), v_meta);
  end if;
  return query select v_vendor.id, v_version;
end;
$$;

-- Grants -------------------------------------------------------------------------------------
revoke all on function public.approval_policy_valid(jsonb) from public, anon;
grant execute on function public.approval_policy_valid(jsonb) to authenticated;
revoke all on function public.default_approval_policy() from public, anon;
grant execute on function public.default_approval_policy() to authenticated;
revoke all on function public.approval_policy_of(uuid) from public, anon;
grant execute on function public.approval_policy_of(uuid) to authenticated;
revoke all on function public.approval_code_blocks(jsonb, text) from public, anon;
grant execute on function public.approval_code_blocks(jsonb, text) to authenticated;
revoke all on function public.iban_valid(text) from public, anon;
grant execute on function public.iban_valid(text) to authenticated;
revoke all on function public.invoice_checks(uuid) from public, anon;
grant execute on function public.invoice_checks(uuid) to authenticated;
revoke all on function public.invoice_line_exceptions(uuid) from public, anon;
grant execute on function public.invoice_line_exceptions(uuid) to authenticated;
revoke all on function public.approval_reasons(uuid) from public, anon;
grant execute on function public.approval_reasons(uuid) to authenticated;
revoke all on function public.activate_approval_policy(uuid, integer) from public, anon;
grant execute on function public.activate_approval_policy(uuid, integer) to authenticated;
revoke all on function public.create_vendor_from_invoice(uuid, integer, jsonb, jsonb)
  from public, anon;
grant execute on function public.create_vendor_from_invoice(uuid, integer, jsonb, jsonb)
  to authenticated;
revoke all on function public.audit_approval_policy_change() from public, anon, authenticated;
revoke all on function public.invoice_lines_snapshot(uuid) from public, anon, authenticated;
revoke all on function public.match_rows_snapshot(jsonb) from public, anon, authenticated;
revoke all on function public.invoice_apply_action(text, uuid, text, integer, jsonb, jsonb)
  from public, anon, authenticated;
