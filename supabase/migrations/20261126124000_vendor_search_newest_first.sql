-- invoice_ids_by_vendor returns the ids newest first (the invoice list's default order), so a
-- vendor search that has no other filter takes its page straight from this list and its count
-- from its length (core/workflow/invoices.py), instead of joining every match twice.

create or replace function public.invoice_ids_by_vendor(p_pattern text, p_client_id uuid default null)
returns setof uuid
language sql
stable
security definer
set search_path = ''
rows 1000
as $$
  select i.id
    from public.invoices i
   where i.vendor_name ilike p_pattern
     and i.client_id in (select public.member_client_ids())
     and (p_client_id is null or i.client_id = p_client_id)
   order by i.created_at desc, i.id desc
$$;
