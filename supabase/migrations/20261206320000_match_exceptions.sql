-- Purchase-order match exceptions (issue 16, item 4): what the 2-way / 3-way match of an invoice
-- against its purchase order, the PO's lines and the goods received found wrong, one row each.
--
-- Codes are stable (core/matching/exceptions.py ExceptionCode, the same list as the check
-- below): `po.*` concern the purchase order as a whole (line_no is null), `line.*` one invoice
-- line (line_no set): over-billed quantity, price variance, not (yet) received, no PO line... An
-- approval policy names them as blocks; the API and the exports show them with plain words.
--
-- Written only together with a door call that proposes matches, in the same transaction, by
-- the same user: public.invoice_record_exceptions(invoice, exceptions) replaces the invoice's
-- rows after an action whose registry entry proposes matches (`invoice_actions.matches` set and
-- not 'decide'; today `status.matched`, later a re-match action too) has run, and writes its own
-- audit event (`match.exceptions_recorded`: how many, which codes, how many it replaced). It is
-- a function of its own and not a key of the door, so the door's body (which other work
-- redefines) stays untouched. Users read the rows (members of the client) and write nothing: no
-- insert/update/delete grant, no policy for it. So nobody clears an exception to get past a
-- block except by running the match again.
--
-- public.invoice_line_exceptions(invoice) lists them as reasons (code, message, fields, detail)
-- for an approval policy (`po.*` and `line.*` codes).

create table public.match_exceptions (
  id uuid primary key default gen_random_uuid(),
  client_id uuid not null references public.clients (id) on delete cascade,
  invoice_id uuid not null,
  purchase_order_id uuid,
  code text not null check (code in (
    'po.not_found', 'po.vendor_mismatch', 'po.currency_mismatch', 'po.amount_variance',
    'po.closed', 'po.exhausted', 'line.no_po_line', 'line.price_variance',
    'line.over_billed_quantity', 'line.not_received', 'line.quantity_missing',
    'line.price_missing'
  )),
  mode text check (mode in ('header', '2-way', '3-way')),
  line_no integer check (line_no > 0),
  po_line_no integer check (po_line_no > 0),
  quantity numeric(18, 4),
  unit_price numeric(18, 4),
  ordered_quantity numeric(18, 4),
  received_quantity numeric(18, 4),
  billed_before numeric(18, 4),
  po_unit_price numeric(18, 4),
  reason text not null default '' check (char_length(reason) <= 1000),
  profile_version integer,
  created_at timestamptz not null default now(),
  constraint match_exceptions_line_scope check ((code like 'line.%') = (line_no is not null)),
  foreign key (client_id, invoice_id) references public.invoices (client_id, id)
    on delete cascade,
  foreign key (client_id, purchase_order_id) references public.purchase_orders (client_id, id)
    on delete set null (purchase_order_id)
);
create index match_exceptions_invoice_idx on public.match_exceptions (invoice_id, line_no);
create index match_exceptions_client_code_idx on public.match_exceptions (client_id, code);
create index match_exceptions_po_idx on public.match_exceptions (purchase_order_id);

alter table public.match_exceptions enable row level security;
alter table public.match_exceptions force row level security;
revoke all on table public.match_exceptions from public, anon, authenticated, service_role;
create policy match_exceptions_select on public.match_exceptions for select to authenticated
  using (client_id in (select public.member_client_ids()));
grant select on table public.match_exceptions to authenticated;
grant select, insert, update, delete on table public.match_exceptions to service_role;

-- Replace an invoice's exceptions: only right after a door call of the same user, in the same
-- transaction, that proposed matches for the invoice's current version.
create or replace function public.invoice_record_exceptions(
  p_invoice_id uuid, p_exceptions jsonb
) returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_uid uuid := (select auth.uid());
  v_inv public.invoices;
  v_before integer;
  v_count integer;
begin
  if v_uid is null then
    raise exception 'only a signed-in user records match exceptions' using errcode = '42501';
  end if;
  if jsonb_typeof(p_exceptions) is distinct from 'array'
     or jsonb_array_length(p_exceptions) > 10000 then
    raise exception 'exceptions must be an array of at most 10000 exceptions'
      using errcode = '22023';
  end if;
  select * into v_inv
    from public.invoices i
   where i.id = p_invoice_id
     and i.client_id in (select public.member_client_ids())
     for update;
  if not found then
    raise exception 'invoice not found' using errcode = 'P0002';
  end if;
  -- The door's event of this transaction (now() is the transaction's start, as in the event).
  if not exists (
    select 1
      from public.audit_events e
      join public.invoice_actions a on a.action = e.action
     where e.invoice_id = v_inv.id
       and e.actor_id = v_uid
       and e.created_at = now()
       and a.matches is not null and a.matches <> 'decide'
       and (e.meta ->> 'version')::integer = v_inv.version
  ) then
    raise exception 'match exceptions are recorded only with the door call that proposes the '
      'matches, in the same transaction' using errcode = '55000';
  end if;

  delete from public.match_exceptions x where x.invoice_id = v_inv.id;
  get diagnostics v_before = row_count;
  insert into public.match_exceptions (client_id, invoice_id, purchase_order_id, code, mode,
                                       line_no, po_line_no, quantity, unit_price,
                                       ordered_quantity, received_quantity, billed_before,
                                       po_unit_price, reason, profile_version)
  select v_inv.client_id, v_inv.id, r.purchase_order_id, r.code, r.mode, r.line_no,
         r.po_line_no, r.quantity, r.unit_price, r.ordered_quantity, r.received_quantity,
         r.billed_before, r.po_unit_price, coalesce(r.reason, ''), r.profile_version
    from jsonb_populate_recordset(null::public.match_exceptions, p_exceptions) r;
  get diagnostics v_count = row_count;
  if v_count > 0 or v_before > 0 then
    insert into public.audit_events (client_id, invoice_id, actor_id, action, meta)
    values (v_inv.client_id, v_inv.id, v_uid, 'match.exceptions_recorded', jsonb_build_object(
      'exceptions', v_count,
      'replaced', v_before,
      'codes', coalesce((
        select jsonb_agg(distinct e ->> 'code' order by e ->> 'code')
          from jsonb_array_elements(p_exceptions) e), '[]'::jsonb)));
  end if;
  return v_count;
end
$$;
revoke all on function public.invoice_record_exceptions(uuid, jsonb) from public, anon;
grant execute on function public.invoice_record_exceptions(uuid, jsonb) to authenticated;

-- The exceptions as reasons against approving (for an approval policy; `line.*` and `po.*`).
create or replace function public.invoice_line_exceptions(p_invoice_id uuid)
returns table (code text, message text, fields text[], detail jsonb)
language sql
stable
security invoker
set search_path = ''
as $$
  select x.code,
         case when x.line_no is null then x.reason
              else format('Line %s: %s', x.line_no, x.reason) end,
         case when x.code like 'line.%' then array['lines']
              when x.code = 'po.amount_variance' then array['total']
              when x.code = 'po.currency_mismatch' then array['currency']
              when x.code = 'po.vendor_mismatch' then array['vendor_name', 'po_number']
              else array['po_number'] end,
         jsonb_strip_nulls(jsonb_build_object(
           'exception_id', x.id, 'purchase_order_id', x.purchase_order_id, 'mode', x.mode,
           'line_no', x.line_no, 'po_line_no', x.po_line_no, 'quantity', x.quantity,
           'unit_price', x.unit_price, 'ordered_quantity', x.ordered_quantity,
           'received_quantity', x.received_quantity, 'billed_before', x.billed_before,
           'po_unit_price', x.po_unit_price))
    from public.match_exceptions x
   where x.invoice_id = p_invoice_id
   order by x.line_no nulls first, x.code
$$;
revoke all on function public.invoice_line_exceptions(uuid) from public, anon;
grant execute on function public.invoice_line_exceptions(uuid) to authenticated;
