-- Vendor substring search that can use its trigram index under row level security.
--
-- Under RLS, a user's own conditions that call functions not marked leakproof are evaluated
-- after the policy, never as index conditions. ILIKE (texticlike) is not leakproof, so
-- `vendor_name ilike '%acme%'` scanned every invoice of the client (127 ms at 100k rows) and the
-- trigram index invoices_vendor_name_trgm_idx was never used (10 ms when it is).
--
-- This function runs the search as its owner, restricted to the caller's clients exactly as the
-- invoices select policy is (client_id in member_client_ids()), and returns invoice ids only.
-- Callers use it as `i.id in (select public.invoice_ids_by_vendor(...))` inside a query that is
-- still under RLS, so nothing it returns can widen what the caller sees.

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
$$;

revoke all on function public.invoice_ids_by_vendor(text, uuid) from public, anon;
grant execute on function public.invoice_ids_by_vendor(text, uuid) to authenticated, service_role;
