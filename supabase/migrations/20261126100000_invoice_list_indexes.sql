-- Invoice list at 100k+ rows per client: the list sorts by (created_at desc, id desc), so the
-- tie-breaker belongs in the index (no incremental sort on deep pages), and the date-range filter
-- gets the amount as a second key so the capped count runs from the index alone.
create index if not exists invoices_client_created_id_idx
  on public.invoices (client_id, created_at desc, id desc);
create index if not exists invoices_client_status_created_id_idx
  on public.invoices (client_id, status, created_at desc, id desc);
create index if not exists invoices_client_date_total_idx
  on public.invoices (client_id, invoice_date, total);

-- Superseded: each is a prefix of one of the indexes above.
drop index if exists public.invoices_client_created_idx;
drop index if exists public.invoices_client_status_created_idx;
drop index if exists public.invoices_client_date_idx;
