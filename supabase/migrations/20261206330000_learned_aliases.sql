-- Aliases learned from operators' match decisions (issue 14, item 1).
--
-- A confirmed or overridden vendor match records the invoice's vendor spelling (and its VAT id or
-- IBAN) as a `learned` alias of the chosen vendor. The matcher's reason says who taught it and
-- when ("alias learned from <who>, <when>"), so the alias row keeps:
--
-- * `learned_from`: the e-mail of the user who added the alias, stamped by the database from
--   `auth.users` at insert (users cannot write it: no column grant, and the trigger overwrites
--   it), so every member's worker session can name the teacher without reading `auth.users`;
-- * `source_invoice_id`: the invoice whose decision taught it (evidence); a composite foreign key
--   keeps it inside the client, and deleting that invoice only clears the reference.
--
-- Removing an alias changes no invoice (nothing approved is re-opened): the alias store is only
-- read by matching, at the next invoice.

alter table public.vendor_aliases
  add column learned_from text check (learned_from is null or char_length(learned_from) <= 320),
  add column source_invoice_id uuid;

alter table public.vendor_aliases
  add constraint vendor_aliases_source_invoice_fk
  foreign key (client_id, source_invoice_id) references public.invoices (client_id, id)
  on delete set null (source_invoice_id);

create or replace function public.stamp_vendor_alias_teacher() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  new.learned_from := (select u.email from auth.users u where u.id = (select auth.uid()));
  return new;
end
$$;
revoke all on function public.stamp_vendor_alias_teacher() from public, anon, authenticated;
create trigger vendor_aliases_stamp_teacher before insert on public.vendor_aliases
  for each row execute function public.stamp_vendor_alias_teacher();

grant insert (source_invoice_id) on table public.vendor_aliases to authenticated;
