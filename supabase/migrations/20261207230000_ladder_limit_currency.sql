-- The trust ladder's total limit in its currency (issue 14, item 3): ladder.total_over_limit.
--
-- The per-client limit (`trust_ladder.max_total` of the approval policy) was a bare number,
-- compared with the invoice total whatever its currency: a limit of 50,000 meant EUR let an
-- invoice of 49,000 GBP (or KWD) through and held one of 17,000 ARS. The policy now names the
-- limit's currency (`trust_ladder.max_total_currency`, ISO 4217; core/workflow/approval_policy.py
-- checks it) and an invoice in any other currency, or with none read, is not approved
-- straight through (there are no exchange rates here to convert it; a person approves it, and
-- the reason says why). A policy that sets no currency keeps the number-only comparison it had
-- (saved policies behave as before); `make run`'s demo client sets EUR.
--
-- public.auto_approval_reasons is restated whole from its latest definition
-- (20261207101000_ladder_lines_reconciled.sql) with only this condition changed; the door
-- (public.trust_ladder_on_event) refuses status.auto_approved while any reason holds.

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
  v_limit_currency text;
  v_require_po boolean;
  v_needs_po boolean;
  v_trust public.vendor_trust;
  v_line_total numeric;
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
  v_limit_currency := nullif(btrim(coalesce(v_ladder ->> 'max_total_currency', '')), '');
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

  -- the line total printed on the page: one the extractor computed from the lines read is none
  -- (unless a person has since entered another value)
  v_line_total := case when v_inv.extraction #>> '{line_total,evidence,text}' = 'sum of lines'
                        and v_inv.line_total
                            = (v_inv.extraction #>> '{line_total,value}')::numeric
                       then null else v_inv.line_total end;

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
    select 'ladder.lines_unreconciled',
           case when s.n_amount = 0 then 'No line item with an amount was read.'
                when s.n > s.n_amount
                then format('%s of the %s lines read have no amount.', s.n - s.n_amount, s.n)
                when s.document is null
                then 'Neither a printed line total nor a net amount was read to check the lines '
                     || 'against.'
                else format('The lines read add up to %s, but the %s says %s.',
                            public.money_text(s.total, v_inv.currency),
                            case when v_line_total is not null then 'line total'
                                 else 'net amount' end,
                            public.money_text(s.document, v_inv.currency)) end,
           jsonb_build_object('lines', s.n, 'lines_with_amount', s.n_amount,
                              'lines_sum', s.total, 'document', s.document,
                              'against', case when v_line_total is not null
                                              then 'line_total'
                                              when v_inv.subtotal is not null
                                              then 'subtotal' end,
                              'currency', v_inv.currency)
      from (select count(*) as n, count(l.amount) as n_amount, sum(l.amount) as total,
                   coalesce(v_line_total, v_inv.subtotal) as document
              from public.invoice_lines l
             where l.invoice_id = v_inv.id) s
     where s.n_amount = 0 or s.n > s.n_amount or s.document is null
        or abs(s.total - s.document) > 0.01
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
                when v_limit_currency is not null
                     and v_inv.currency is distinct from v_limit_currency
                then format('The limit is set in %s; this invoice is in %s.', v_limit_currency,
                            coalesce(v_inv.currency, 'no currency read'))
                else format('The total %s is above the limit %s.', round(v_inv.total, 2),
                            v_limit) end,
           jsonb_build_object('total', v_inv.total, 'max_total', v_limit,
                              'max_total_currency', v_limit_currency, 'currency', v_inv.currency)
     where v_inv.total is null
        or (v_limit is not null and v_inv.total > v_limit)
        or (v_limit is not null and v_limit_currency is not null
            and v_inv.currency is distinct from v_limit_currency)
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

-- The default policy names the new key (no limit, so no currency), as core/workflow/
-- approval_policy.TrustLadder does; restated from 20261206332000_trust_ladder.sql.
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
                                       'max_total_currency', null, 'require_po', true))
$$;
revoke all on function public.default_approval_policy() from public, anon;
grant execute on function public.default_approval_policy() to authenticated;
