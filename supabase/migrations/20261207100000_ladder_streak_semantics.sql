-- The trust ladder's streak semantics and its PO rule (issue 14, item 3), restated.
--
-- The streak is the vendor's record of being READ and MATCHED exactly. What resets it (and what
-- makes an approval not clean) is one rule, public.trust_ladder_resets(event):
--
--   invoice.corrected        when it changed something (status aside)
--   invoice.lines_corrected  always
--   match.overridden / match.rejected   of a VENDOR match (meta.kind = 'vendor'; an event with no
--                            kind, from before kinds were recorded, counts as a vendor one)
--   approval.overridden      always (a person approved over the policy's blocks)
--   status.reopened          always (a person disagreed with an approval)
--   status.rejected          unless the product itself had flagged the invoice as a possible
--                            duplicate (a `duplicate` match row not rejected): the system caught
--                            it, the vendor's reading was not at fault
--
-- Purchase-order match decisions (confirm / reject / override of kind purchase_order) and
-- duplicate-match decisions neither reset the streak nor make that invoice's approval unclean:
-- every ladder approval separately requires that very invoice's PO match in the auto band
-- (ladder.po_match below), so a PO problem never slips through. Before, any match override or
-- rejection reset the streak, so the many invoices whose PO number was wrong or missing kept
-- their (exactly read) vendors at the bottom of the ladder.
--
-- The PO rule of public.auto_approval_reasons: the PO match must be in the auto band when the
-- invoice carries a PO number, or (require_po, the default) when its vendor has purchase orders
-- in the client's reference data (a missing PO is then an exception). Invoices of a vendor with
-- no purchase order at all and no PO printed (services, utilities, subscriptions) need none.
-- Before, require_po demanded a PO match of every invoice, so non-PO vendors never went
-- straight through.
--
-- last_reset_action / last_reset_invoice_id / last_reset_at keep each reset's audit trail as
-- before; everything else of both functions is unchanged.

create or replace function public.trust_ladder_resets(
  p_action text, p_before jsonb, p_after jsonb, p_meta jsonb, p_invoice_id uuid
) returns boolean
language sql
stable
security invoker
set search_path = ''
as $$
  select case
    when p_action = 'invoice.corrected' then
      (coalesce(p_before, '{}'::jsonb) - 'status')
        is distinct from (coalesce(p_after, '{}'::jsonb) - 'status')
    when p_action in ('invoice.lines_corrected', 'approval.overridden', 'status.reopened') then
      true
    when p_action in ('match.overridden', 'match.rejected') then
      coalesce(p_meta ->> 'kind', 'vendor') = 'vendor'
    when p_action = 'status.rejected' then
      not exists (select 1 from public.matches m
                   where m.invoice_id = p_invoice_id and m.kind = 'duplicate'
                     and m.status <> 'rejected')
    else false
  end
$$;
revoke all on function public.trust_ladder_resets(text, jsonb, jsonb, jsonb, uuid)
  from public, anon, authenticated;
grant execute on function public.trust_ladder_resets(text, jsonb, jsonb, jsonb, uuid)
  to service_role;

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
  v_needs_po boolean;
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
  -- A PO match is needed when the invoice prints a PO number, or (require_po) when its vendor
  -- has purchase orders in the client's reference data (a missing PO is then an exception). A
  -- vendor with no purchase order at all (services, utilities, subscriptions) whose invoice
  -- prints none needs none.
  v_needs_po := nullif(btrim(coalesce(v_inv.po_number, '')), '') is not null
                or (v_require_po and v_inv.vendor_id is not null
                    and exists (select 1 from public.purchase_orders po
                                 where po.client_id = v_inv.client_id
                                   and po.vendor_id = v_inv.vendor_id));

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
           jsonb_build_object('band', po.band, 'required', v_needs_po,
                              'require_po', v_require_po)
      from (select (select m.band from public.matches m
                     where m.invoice_id = v_inv.id and m.kind = 'purchase_order'
                       and m.status <> 'rejected'
                     order by (m.band = 'auto') desc limit 1) as band) po
     where (po.band is null and v_needs_po) or po.band <> 'auto'
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
    -- The ladder's acceptance IS the approval: the door moves the invoice to `approved` (not to
    -- `auto_approved`), so it is exported like any approved invoice, with no touch.
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
            jsonb_build_object('status', 'approved'),
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
    -- clean = nothing since it was read that resets the ladder (the same rule as below)
    if exists (
      select 1 from public.audit_events e
       where e.invoice_id = v_inv.id and e.id < new.id
         and public.trust_ladder_resets(e.action, e.before, e.after, e.meta, e.invoice_id)
    ) then
      return null;  -- the correction already reset the ladder
    end if;
    insert into public.vendor_trust as t (client_id, vendor_id, clean_streak)
    values (v_inv.client_id, v_inv.vendor_id, 1)
    on conflict (client_id, vendor_id) do update
       set clean_streak = t.clean_streak + 1, updated_at = now();
    return null;
  end if;

  v_changed := public.trust_ladder_resets(new.action, new.before, new.after, new.meta,
                                          new.invoice_id);
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
