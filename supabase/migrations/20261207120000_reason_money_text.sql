-- Money in the reasons against approval reads as everywhere else on the review screen: two
-- decimals, thousands grouped, with the invoice's currency ("10,379.92 EUR", not "10379.92").
-- The raw numbers stay in each reason's detail (now with the currency), for API clients.
--
--   public.money_text(amount, currency)  '-1,234.50 EUR'; no currency: '-1,234.50'; null: null
--   public.invoice_checks                 totals, line sum and line arithmetic messages use it
--   public.approval_reasons               the possible duplicate's total uses it
--
-- Both functions are restated whole from 20261206300000_approval_policy.sql with only the
-- messages (and the detail's currency) changed.

create or replace function public.money_text(p_amount numeric, p_currency text default null)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
  -- ',' and '.' are the literal group and decimal marks of to_char (G and D would follow the
  -- server's locale); FM drops the padding. 21 integer digits cover numeric(18,4) and more.
  select to_char(round(p_amount, 2), 'FM999,999,999,999,999,999,990.00')
         || case when nullif(btrim(p_currency), '') is null then ''
                 else ' ' || upper(btrim(p_currency)) end
$$;
revoke all on function public.money_text(numeric, text) from public, anon;
grant execute on function public.money_text(numeric, text) to authenticated, service_role;

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
         format('Net %s + tax %s makes %s, but the total says %s.',
                public.money_text(i.subtotal, i.currency), public.money_text(i.tax, i.currency),
                public.money_text(i.subtotal + i.tax, i.currency),
                public.money_text(i.total, i.currency)),
         array['subtotal', 'tax', 'total'],
         jsonb_build_object('subtotal', i.subtotal, 'tax', i.tax, 'total', i.total,
                            'currency', i.currency)
    from inv i
   where i.subtotal is not null and i.tax is not null and i.total is not null
     and abs(i.subtotal + i.tax - i.total) > 0.01
  union all
  select 'line_sum_mismatch',
         format('The lines add up to %s, but the %s says %s.',
                public.money_text(s.total, i.currency),
                case when i.line_total is not null then 'line total' else 'net amount' end,
                public.money_text(coalesce(i.line_total, i.subtotal), i.currency)),
         array[case when i.line_total is not null then 'line_total' else 'subtotal' end, 'lines'],
         jsonb_build_object('lines_sum', s.total,
                            'document', coalesce(i.line_total, i.subtotal),
                            'currency', i.currency)
    from inv i, sums s
   where s.n > 0 and s.n = s.n_amount and coalesce(i.line_total, i.subtotal) is not null
     and abs(s.total - coalesce(i.line_total, i.subtotal)) > 0.01
  union all
  select 'line_arithmetic',
         format('Line %s: %s × %s%s%s makes %s, but the line amount is %s.', l.line_no,
                trim_scale(l.quantity), public.money_text(l.unit_price, i.currency),
                case when coalesce(l.allowance, 0) <> 0
                     then format(' − allowance %s', public.money_text(l.allowance, i.currency))
                     else '' end,
                case when coalesce(l.charge, 0) <> 0
                     then format(' + charge %s', public.money_text(l.charge, i.currency))
                     else '' end,
                public.money_text(l.quantity * l.unit_price - coalesce(l.allowance, 0)
                                  + coalesce(l.charge, 0), i.currency),
                public.money_text(l.amount, i.currency)),
         array['lines'],
         jsonb_build_object('line_no', l.line_no, 'quantity', l.quantity,
                            'unit_price', l.unit_price, 'allowance', l.allowance,
                            'charge', l.charge, 'amount', l.amount, 'currency', i.currency)
    from lines l, inv i
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
           format('This may be a duplicate of invoice %s from %s (%s, %s).',
                  coalesce(d.invoice_number, '?'), coalesce(d.vendor_name, '?'),
                  coalesce(public.money_text(d.total, d.currency), '?'),
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

revoke all on function public.invoice_checks(uuid) from public, anon;
grant execute on function public.invoice_checks(uuid) to authenticated;
revoke all on function public.approval_reasons(uuid) from public, anon;
grant execute on function public.approval_reasons(uuid) to authenticated;
