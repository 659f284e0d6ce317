-- The trust ladder's acceptance approves (issue 14, item 3 + item 4's "upload -> approved ->
-- export with no touch").
--
-- Before: `status.auto_approved` moved a `matched` invoice to `auto_approved`, a status the state
-- machine never exports (only `approved` is exported), so a straight-through invoice waited for a
-- person anyway and "0 duplicates exported" was never measured on it. Now the door action
-- `status.auto_approved` (still checked by public.auto_approval_reasons in the audit trigger,
-- refused with IFB02 while any condition fails, and audited as `trust_ladder.auto_approved` with
-- the rule, the policy version and the evidence) moves `matched` straight to `approved` in the
-- same door call. It does not stamp reviewed_by/at: no person approved it; exports name the
-- approver from the `trust_ladder.auto_approved` event ("trust ladder (policy vN)").
--
-- No path creates `auto_approved` any more (the edge matched -> auto_approved is gone). An
-- invoice still in `auto_approved` (from before) carries no ladder acceptance of this kind and is
-- exported only after a person approves it (`status.approved`; the state machine exports
-- `approved` only). core/workflow/states.py holds the same table and registry (a test compares).

insert into public.invoice_status_transitions (from_status, to_status)
values ('matched', 'approved');
delete from public.invoice_status_transitions
 where from_status = 'matched' and to_status = 'auto_approved';
update public.invoice_actions
   set target_status = 'approved', stamps_review = false
 where action = 'status.auto_approved';

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
