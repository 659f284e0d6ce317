-- The alias store: alternate names (former names, trading names), VAT ids and IBANs of a vendor.
--
-- One table for every source: rows imported with the vendor master (`import`), aliases learned
-- from operators' confirmed matches (`learned`, issue 14) and ones typed by hand (`manual`). The
-- matcher uses them as exact keys and names the alias in its reason. `value` is what was written,
-- `normalized` the matching key computed by core.matching (the name key, or the compacted VAT id
-- or IBAN), so a re-import finds the same alias again.
--
-- Aliases are added or removed, never edited: users get no UPDATE. `created_by` must be the
-- signed-in user, so nobody can record an alias in someone else's name.
--
-- `vendors.aliases` (text[]) stays readable for old readers; nothing writes it any more. Its
-- values are copied here once as `import` aliases (normalized by lower-case and trimmed spaces;
-- the matcher re-normalizes every value it loads).

create table public.vendor_aliases (
  id uuid primary key default gen_random_uuid(),
  client_id uuid not null references public.clients (id) on delete cascade,
  vendor_id uuid not null,
  kind text not null default 'name' check (kind in ('name', 'vat_id', 'iban')),
  value text not null check (char_length(btrim(value)) between 1 and 300),
  normalized text not null check (char_length(normalized) between 1 and 300),
  source text not null default 'manual' check (source in ('import', 'learned', 'manual')),
  created_by uuid references auth.users (id) on delete set null default auth.uid(),
  created_at timestamptz not null default now(),
  unique (client_id, vendor_id, kind, normalized),
  foreign key (client_id, vendor_id) references public.vendors (client_id, id) on delete cascade
);
create index vendor_aliases_client_key_idx
  on public.vendor_aliases (client_id, kind, normalized);
create index vendor_aliases_vendor_idx on public.vendor_aliases (vendor_id);

alter table public.vendor_aliases enable row level security;
alter table public.vendor_aliases force row level security;
revoke all on table public.vendor_aliases from public, anon, authenticated, service_role;

-- Members read; owners and operators add and remove, as themselves.
create policy vendor_aliases_select on public.vendor_aliases for select to authenticated
  using (client_id in (select public.member_client_ids()));
create policy vendor_aliases_insert on public.vendor_aliases for insert to authenticated
  with check (
    client_id in (select public.member_client_ids('{owner,operator}'))
    and created_by = (select auth.uid())
  );
create policy vendor_aliases_delete on public.vendor_aliases for delete to authenticated
  using (client_id in (select public.member_client_ids('{owner,operator}')));

grant select, insert, delete on table public.vendor_aliases to authenticated;
grant select, insert, update, delete on table public.vendor_aliases to service_role;

insert into public.vendor_aliases (client_id, vendor_id, kind, value, normalized, source,
                                   created_by)
select distinct on (v.client_id, v.id, lower(btrim(a)))
       v.client_id, v.id, 'name', btrim(a), left(lower(btrim(a)), 300), 'import', null
from public.vendors v, unnest(v.aliases) as a
where char_length(btrim(a)) between 1 and 300
on conflict do nothing;
