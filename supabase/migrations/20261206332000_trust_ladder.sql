-- The trust ladder (issue 14, item 3): straight-through approval, as part of the approval policy.
--
-- The policy's `trust_ladder` (20261206300000_approval_policy.sql: enabled, clean_invoices,
-- max_total; here also require_po) decides when an invoice may be approved with no touch. An
-- invoice is auto-approved only when ALL of these hold, each failed one being a typed reason of
-- public.auto_approval_reasons(invoice):
--
--   ladder.off             the client's policy has the ladder switched off (the default)
--   ladder.vendor_unknown  no vendor of the master is chosen
--   ladder.paused          an owner paused the ladder for this vendor
--   ladder.streak_short    the vendor has fewer than `clean_invoices` approved invoices in a row
--                          with no correction
--   ladder.check_failed    a check of public.invoice_checks fails (every check must pass)
--   ladder.vendor_match    the vendor match is not in the auto band
--   ladder.po_match        the purchase-order match is not in the auto band (or, with
--                          require_po, there is none)
--   ladder.duplicate       the invoice may duplicate another one
--   ladder.total_over_limit  the total is missing or above the policy's `max_total`
--   ladder.blocked         the approval policy blocks approving it at all
--
-- public.vendor_trust keeps each vendor's ladder state: its clean streak, whether an owner paused
-- it, and what last reset it. The streak is kept by the database from the invoice doors' own
-- audit events (trigger on audit_events), so no caller can raise it: a person's approval of an
-- invoice nobody corrected adds one; a correction that changed something, a lines correction, a
-- match override or rejection, a rejection, an approval over the policy's blocks, or a re-opened
-- decision resets it to zero.
--
-- The door's `status.auto_approved` is refused (SQLSTATE IFB02, reasons as JSON in DETAIL) while
-- any reason holds, whoever calls it; an accepted one writes `trust_ladder.auto_approved` naming
-- the rule, the policy version and the evidence (streak, needed, total and limit, the vendor and
-- PO match scores).

create or replace function public.default_approval_policy()
returns jsonb
language sql
immutable
set search_path = ''
as $$
  select jsonb_build_object(
    'blocks', jsonb_build_array('vendor.unknown', 'match.undecided', 'duplicate.possible',
                                'check.totals_mismatch', 'check.line_sum_mismatch',
                                'check.line_arithmetic', 'check.due_before_invoice_date',
                                'check.iban_checksum', 'check.currency_missing', 'line.*'),
    'override_roles', jsonb_build_array('owner'),
    'trust_ladder', jsonb_build_object('enabled', false, 'clean_invoices', 3, 'max_total', null,
                                       'require_po', true))
$$;

create table public.vendor_trust (
  client_id uuid not null references public.clients (id) on delete cascade,
  vendor_id uuid not null,
  clean_streak integer not null default 0 check (clean_streak >= 0),
  paused boolean not null default false,
  paused_by uuid references auth.users (id) on delete set null,
  paused_at timestamptz,
  last_reset_action text,
  last_reset_invoice_id uuid,
  last_reset_at timestamptz,
  updated_at timestamptz not null default now(),
  primary key (client_id, vendor_id),
  foreign key (client_id, vendor_id) references public.vendors (client_id, id) on delete cascade
);

alter table public.vendor_trust enable row level security;
alter table public.vendor_trust force row level security;
revoke all on table public.vendor_trust from public, anon, authenticated, service_role;
create policy vendor_trust_select on public.vendor_trust for select to authenticated
  using (client_id in (select public.member_client_ids()));
grant select on table public.vendor_trust to authenticated;
grant select, insert, update, delete on table public.vendor_trust to service_role;

-- Owners pause or resume a vendor's ladder (audited); nobody writes the streak.
create or replace function public.set_vendor_ladder_paused(
  p_client_id uuid, p_vendor_id uuid, p_paused boolean
) returns public.vendor_trust
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_row public.vendor_trust;
begin
  if (select auth.uid()) is null
     or p_client_id not in (select public.member_client_ids('{owner}')) then
    raise exception 'only an owner of the client pauses a vendor''s ladder'
      using errcode = '42501';
  end if;
  if not exists (select 1 from public.vendors v
                  where v.client_id = p_client_id and v.id = p_vendor_id) then
    raise exception 'vendor not found' using errcode = 'P0002';
  end if;
  insert into public.vendor_trust as t (client_id, vendor_id, paused, paused_by, paused_at)
  values (p_client_id, p_vendor_id, coalesce(p_paused, false),
          case when p_paused then (select auth.uid()) end, case when p_paused then now() end)
  on conflict (client_id, vendor_id) do update
     set paused = excluded.paused, paused_by = excluded.paused_by,
         paused_at = excluded.paused_at, updated_at = now()
  returning * into v_row;
  insert into public.audit_events (client_id, actor_id, action, after, meta)
  values (p_client_id, (select auth.uid()),
          case when p_paused then 'vendor.ladder_paused' else 'vendor.ladder_resumed' end,
          jsonb_build_object('paused', v_row.paused, 'clean_streak', v_row.clean_streak),
          jsonb_build_object('vendor_id', p_vendor_id));
  return v_row;
end
$$;
revoke all on function public.set_vendor_ladder_paused(uuid, uuid, boolean) from public, anon;
grant execute on function public.set_vendor_ladder_paused(uuid, uuid, boolean)
  to authenticated, service_role;

-- Every failed condition of straight-through approval, typed (see the header).
create or replace function public.auto_approval_reasons(p_invoice_id uuid)
returns table (code text, message text, detail jsonb)
language plpgsql
stable
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_inv public.invoices;
  v_version integer;
  v_policy jsonb;
  v_ladder jsonb;
  v_needed integer;
  v_limit numeric;
  v_require_po boolean;
  v_trust public.vendor_trust;
begin
  select * into v_inv from public.invoices i where i.id = p_invoice_id;
  if not found then
    raise exception 'invoice not found' using errcode = 'P0002';
  end if;
  select p.version, p.policy into v_version, v_policy
    from public.approval_policy_of(v_inv.client_id) p;
  v_ladder := coalesce(v_policy -> 'trust_ladder', '{}'::jsonb);
  v_needed := coalesce((v_ladder ->> 'clean_invoices')::integer, 3);
  v_limit := (v_ladder ->> 'max_total')::numeric;
  v_require_po := coalesce((v_ladder ->> 'require_po')::boolean, true);
  select * into v_trust from public.vendor_trust t
   where t.client_id = v_inv.client_id and t.vendor_id = v_inv.vendor_id;

  return query
  with r (code, message, detail) as (
    select 'ladder.off', 'Straight-through approval is off in this client''s approval policy.',
           jsonb_build_object('policy_version', v_version)
     where not coalesce((v_ladder ->> 'enabled')::boolean, false)
    union all
    select 'ladder.vendor_unknown', 'No vendor of the vendor list is chosen.', '{}'::jsonb
     where v_inv.vendor_id is null
    union all
    select 'ladder.paused', 'An owner paused straight-through approval for this vendor.',
           jsonb_build_object('paused_by', v_trust.paused_by, 'paused_at', v_trust.paused_at)
     where coalesce(v_trust.paused, false)
    union all
    select 'ladder.streak_short',
           format('The vendor has %s of the %s clean approved invoices in a row it needs.',
                  coalesce(v_trust.clean_streak, 0), v_needed),
           jsonb_build_object('streak', coalesce(v_trust.clean_streak, 0), 'needed', v_needed)
     where v_inv.vendor_id is not null and coalesce(v_trust.clean_streak, 0) < v_needed
    union all
    select 'ladder.check_failed',
           'A check fails: ' || string_agg(c.code, ', ' order by c.code) || '.',
           jsonb_build_object('checks', jsonb_agg(c.code order by c.code))
      from public.invoice_checks(v_inv.id) c
    having count(*) > 0
    union all
    select 'ladder.vendor_match', 'The vendor match is not in the auto band.',
           jsonb_build_object('band', (select m.band from public.matches m
                                        where m.invoice_id = v_inv.id and m.kind = 'vendor'
                                        order by m.created_at desc limit 1))
     where v_inv.vendor_id is not null
       and not exists (select 1 from public.matches m
                        where m.invoice_id = v_inv.id and m.kind = 'vendor'
                          and m.band = 'auto' and m.status <> 'rejected'
                          and m.vendor_id is not distinct from v_inv.vendor_id)
    union all
    select 'ladder.po_match',
           case when po.band is null then 'No purchase order is matched.'
                else 'The purchase order match is not in the auto band.' end,
           jsonb_build_object('band', po.band, 'required', v_require_po)
      from (select (select m.band from public.matches m
                     where m.invoice_id = v_inv.id and m.kind = 'purchase_order'
                       and m.status <> 'rejected'
                     order by (m.band = 'auto') desc limit 1) as band) po
     where (po.band is null and v_require_po) or po.band <> 'auto'
    union all
    select 'ladder.duplicate', 'The invoice may duplicate another one.',
           jsonb_build_object('duplicate_of', jsonb_agg(m.duplicate_of_invoice_id))
      from public.matches m
     where m.invoice_id = v_inv.id and m.kind = 'duplicate' and m.status <> 'rejected'
    having count(*) > 0
    union all
    select 'ladder.total_over_limit',
           case when v_inv.total is null then 'The total is missing.'
                else format('The total %s is above the limit %s.', round(v_inv.total, 2),
                            v_limit) end,
           jsonb_build_object('total', v_inv.total, 'max_total', v_limit)
     where v_inv.total is null or (v_limit is not null and v_inv.total > v_limit)
    union all
    select 'ladder.blocked', 'The approval policy blocks approving this invoice.',
           jsonb_build_object('reasons', jsonb_agg(a.code order by a.code))
      from public.approval_reasons(v_inv.id) a
     where a.blocking
    having count(*) > 0
  )
  select r.code, r.message, r.detail from r;
end
$$;
revoke all on function public.auto_approval_reasons(uuid) from public, anon;
grant execute on function public.auto_approval_reasons(uuid) to authenticated, service_role;

-- The ladder follows the doors' audit events; status.auto_approved is enforced here.
create or replace function public.trust_ladder_on_event() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_inv public.invoices;
  v_reasons jsonb;
  v_vendors uuid[];
  v_changed boolean;
  v_version integer;
  v_policy jsonb;
  v_trust public.vendor_trust;
begin
  if new.invoice_id is null or new.meta ->> 'door' is null then
    return null;  -- only the invoice doors' events move the ladder
  end if;
  select * into v_inv from public.invoices i where i.id = new.invoice_id;
  if not found then
    return null;
  end if;

  if new.action = 'status.auto_approved' then
    select coalesce(jsonb_agg(jsonb_build_object('code', r.code, 'message', r.message,
                                                 'detail', r.detail) order by r.code),
                    '[]'::jsonb)
      into v_reasons
      from public.auto_approval_reasons(v_inv.id) r;
    if jsonb_array_length(v_reasons) > 0 then
      raise exception 'the trust ladder refuses this auto-approval'
        using errcode = 'IFB02', detail = v_reasons::text;
    end if;
    select p.version, p.policy into v_version, v_policy
      from public.approval_policy_of(v_inv.client_id) p;
    select * into v_trust from public.vendor_trust t
     where t.client_id = v_inv.client_id and t.vendor_id = v_inv.vendor_id;
    insert into public.audit_events (client_id, invoice_id, actor_id, action, after, meta)
    values (v_inv.client_id, v_inv.id, new.actor_id, 'trust_ladder.auto_approved',
            jsonb_build_object('status', 'auto_approved'),
            jsonb_build_object(
              'rule', 'trust_ladder',
              'policy_version', v_version,
              'ladder', v_policy -> 'trust_ladder',
              'evidence', jsonb_build_object(
                'vendor_id', v_inv.vendor_id,
                'clean_streak', v_trust.clean_streak,
                'needed', coalesce((v_policy #>> '{trust_ladder,clean_invoices}')::integer, 3),
                'total', v_inv.total,
                'max_total', v_policy #> '{trust_ladder,max_total}',
                'vendor_match', (select jsonb_build_object('score', m.score, 'band', m.band,
                                                           'reason', m.reason)
                                   from public.matches m
                                  where m.invoice_id = v_inv.id and m.kind = 'vendor'
                                  order by m.created_at desc limit 1),
                'po_match', (select jsonb_build_object('score', m.score, 'band', m.band,
                                                       'purchase_order_id', m.purchase_order_id)
                               from public.matches m
                              where m.invoice_id = v_inv.id and m.kind = 'purchase_order'
                              order by (m.band = 'auto') desc limit 1),
                'checks_failed', 0,
                'invoice_version', (new.meta ->> 'version')::integer)));
    return null;
  end if;

  if new.action = 'status.approved' then
    if v_inv.vendor_id is null then
      return null;
    end if;
    -- clean = no correction that changed something since it was read
    if exists (
      select 1 from public.audit_events e
       where e.invoice_id = v_inv.id and e.id < new.id
         and (e.action in ('invoice.lines_corrected', 'match.overridden', 'match.rejected',
                           'approval.overridden', 'status.rejected')
              or (e.action = 'invoice.corrected'
                  and (coalesce(e.before, '{}'::jsonb) - 'status')
                      is distinct from (coalesce(e.after, '{}'::jsonb) - 'status')))
    ) then
      return null;  -- the correction already reset the ladder
    end if;
    insert into public.vendor_trust as t (client_id, vendor_id, clean_streak)
    values (v_inv.client_id, v_inv.vendor_id, 1)
    on conflict (client_id, vendor_id) do update
       set clean_streak = t.clean_streak + 1, updated_at = now();
    return null;
  end if;

  v_changed := case
    when new.action = 'invoice.corrected' then
      (coalesce(new.before, '{}'::jsonb) - 'status')
        is distinct from (coalesce(new.after, '{}'::jsonb) - 'status')
    when new.action in ('invoice.lines_corrected', 'match.overridden', 'match.rejected',
                        'status.rejected', 'approval.overridden', 'status.reopened') then true
    else false
  end;
  if not v_changed then
    return null;
  end if;
  v_vendors := array_remove(array[
    v_inv.vendor_id,
    nullif(new.after ->> 'vendor_id', '')::uuid,
    nullif(new.meta #>> '{after_match,vendor_id}', '')::uuid,
    nullif(new.meta #>> '{before_match,vendor_id}', '')::uuid
  ], null);
  insert into public.vendor_trust as t (client_id, vendor_id, clean_streak, last_reset_action,
                                        last_reset_invoice_id, last_reset_at)
  select v_inv.client_id, v.id, 0, new.action, v_inv.id, now()
    from (select distinct unnest(v_vendors) as id) v
   where exists (select 1 from public.vendors x
                  where x.client_id = v_inv.client_id and x.id = v.id)
  on conflict (client_id, vendor_id) do update
     set clean_streak = 0, last_reset_action = excluded.last_reset_action,
         last_reset_invoice_id = excluded.last_reset_invoice_id,
         last_reset_at = excluded.last_reset_at, updated_at = now();
  return null;
end
$$;
revoke all on function public.trust_ladder_on_event() from public, anon, authenticated;
create trigger audit_events_trust_ladder after insert on public.audit_events
  for each row execute function public.trust_ladder_on_event();
