-- Per-vendor extraction hints (issue 14, item 2): where a vendor prints a field, learned from an
-- operator's correction (core.extraction.hints explains anchor, direction, region).
--
-- One hint per client, vendor and field. Members read them; owners and operators add, adjust
-- (weight up on agreement, down on a contrary correction; a new place after a correction) and
-- remove them, as themselves; each add/remove is audited (`vendor.hint_learned` /
-- `vendor.hint_removed`), each weight change too (`vendor.hint_weighted`). Nothing of one client
-- reaches another: RLS on the client, and composite foreign keys to the client's vendor and
-- source invoice. Removing a hint changes no invoice.

create table public.vendor_extraction_hints (
  id uuid primary key default gen_random_uuid(),
  client_id uuid not null references public.clients (id) on delete cascade,
  vendor_id uuid not null,
  field text not null check (field in ('invoice_number', 'po_number', 'invoice_date', 'due_date',
                                       'total', 'subtotal', 'tax', 'amount_due')),
  anchor text not null default '' check (char_length(anchor) <= 120),
  direction text not null check (direction in ('inline', 'right', 'below', 'region')),
  page integer not null check (page between 1 and 1000),
  region numeric[] not null check (cardinality(region) = 4),
  token_start integer not null default 0 check (token_start between 0 and 50),
  token_count integer not null default 1 check (token_count between 1 and 6),
  day_first boolean,
  weight numeric(6, 2) not null default 1 check (weight between -100 and 100),
  agreements integer not null default 0 check (agreements >= 0),
  contradictions integer not null default 0 check (contradictions >= 0),
  source_invoice_id uuid,
  created_by uuid references auth.users (id) on delete set null default auth.uid(),
  learned_from text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (client_id, vendor_id, field),
  foreign key (client_id, vendor_id) references public.vendors (client_id, id) on delete cascade,
  foreign key (client_id, source_invoice_id) references public.invoices (client_id, id)
    on delete set null (source_invoice_id)
);
create index vendor_extraction_hints_vendor_idx
  on public.vendor_extraction_hints (client_id, vendor_id);

alter table public.vendor_extraction_hints enable row level security;
alter table public.vendor_extraction_hints force row level security;
revoke all on table public.vendor_extraction_hints from public, anon, authenticated, service_role;

create policy vendor_extraction_hints_select on public.vendor_extraction_hints
  for select to authenticated
  using (client_id in (select public.member_client_ids()));
create policy vendor_extraction_hints_insert on public.vendor_extraction_hints
  for insert to authenticated
  with check (client_id in (select public.member_client_ids('{owner,operator}'))
              and created_by = (select auth.uid()));
create policy vendor_extraction_hints_update on public.vendor_extraction_hints
  for update to authenticated
  using (client_id in (select public.member_client_ids('{owner,operator}')))
  with check (client_id in (select public.member_client_ids('{owner,operator}')));
create policy vendor_extraction_hints_delete on public.vendor_extraction_hints
  for delete to authenticated
  using (client_id in (select public.member_client_ids('{owner,operator}')));

grant select, delete on table public.vendor_extraction_hints to authenticated;
grant insert (client_id, vendor_id, field, anchor, direction, page, region, token_start,
              token_count, day_first, source_invoice_id)
  on table public.vendor_extraction_hints to authenticated;
-- what learning adjusts; never the client, the vendor, the field or who created it
grant update (anchor, direction, page, region, token_start, token_count, day_first, weight,
              agreements, contradictions, source_invoice_id)
  on table public.vendor_extraction_hints to authenticated;
grant select, insert, update, delete on table public.vendor_extraction_hints to service_role;

-- The teacher (e-mail), the change time; and the audit trail.
create or replace function public.vendor_extraction_hint_stamp() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    new.learned_from := (select u.email from auth.users u where u.id = (select auth.uid()));
    new.created_at := now();
  end if;
  new.updated_at := now();
  return new;
end
$$;
revoke all on function public.vendor_extraction_hint_stamp() from public, anon, authenticated;
create trigger vendor_extraction_hints_stamp before insert or update
  on public.vendor_extraction_hints
  for each row execute function public.vendor_extraction_hint_stamp();

create or replace function public.audit_vendor_extraction_hint() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    insert into public.audit_events (client_id, actor_id, action, after, meta)
    values (new.client_id, (select auth.uid()), 'vendor.hint_learned',
            jsonb_build_object('field', new.field, 'anchor', new.anchor,
                               'direction', new.direction, 'weight', new.weight),
            jsonb_build_object('vendor_id', new.vendor_id, 'hint_id', new.id,
                               'source_invoice_id', new.source_invoice_id));
  elsif tg_op = 'UPDATE' then
    insert into public.audit_events (client_id, actor_id, action, before, after, meta)
    values (new.client_id, (select auth.uid()), 'vendor.hint_weighted',
            jsonb_build_object('anchor', old.anchor, 'direction', old.direction,
                               'weight', old.weight),
            jsonb_build_object('anchor', new.anchor, 'direction', new.direction,
                               'weight', new.weight),
            jsonb_build_object('vendor_id', new.vendor_id, 'hint_id', new.id,
                               'field', new.field, 'source_invoice_id', new.source_invoice_id));
  elsif exists (select 1 from public.clients c where c.id = old.client_id) then
    insert into public.audit_events (client_id, actor_id, action, before, meta)
    values (old.client_id, (select auth.uid()), 'vendor.hint_removed',
            jsonb_build_object('field', old.field, 'anchor', old.anchor,
                               'direction', old.direction, 'weight', old.weight),
            jsonb_build_object('vendor_id', old.vendor_id, 'hint_id', old.id));
  end if;
  return null;
end
$$;
revoke all on function public.audit_vendor_extraction_hint() from public, anon, authenticated;
create trigger vendor_extraction_hints_audit after insert or update or delete
  on public.vendor_extraction_hints
  for each row execute function public.audit_vendor_extraction_hint();
