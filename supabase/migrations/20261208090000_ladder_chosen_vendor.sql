-- The trust ladder's streak: choosing the vendor for an invoice whose vendor match proposed none
-- is a decision, not a correction (issue 14, item 3), restated.
--
-- public.trust_ladder_resets(event) is the one rule for what resets a vendor's streak and what
-- makes an approval not clean (migration 20261207100000). One case changes: a VENDOR-match
-- override whose match proposed no vendor (meta.before_match.vendor_id empty: the vendor was
-- not in the master, or the printed name matched nothing) no longer resets. The product did not
-- choose a wrong vendor there; it said it knew none, which was right, and a person chose the
-- vendor, as a person confirms a proposal of the review band (which never reset). The next
-- invoice with that spelling matches through the alias learned from that choice.
--
-- Before, every vendor's first invoice that needed its vendor chosen (a vendor new to the master,
-- a trading name) counted as a correction: that vendor's ladder started one invoice later than a
-- vendor whose first invoice matched, although nothing read or matched on it was wrong.
--
-- Everything else is as before: overriding a vendor match that proposed a vendor (the product
-- chose wrong), rejecting a vendor match, a correction that changed something, a lines
-- correction, an approval over the policy's blocks, a re-open and a rejection (except of a
-- flagged duplicate) reset. The ladder still approves only a vendor match in the auto band.

create or replace function public.trust_ladder_resets(
  p_action text, p_before jsonb, p_after jsonb, p_meta jsonb, p_invoice_id uuid
) returns boolean
language sql
stable
security invoker
set search_path = ''
as $$
  select case
    when p_action = 'invoice.corrected' then
      (coalesce(p_before, '{}'::jsonb) - 'status')
        is distinct from (coalesce(p_after, '{}'::jsonb) - 'status')
    when p_action in ('invoice.lines_corrected', 'approval.overridden', 'status.reopened') then
      true
    when p_action = 'match.overridden' then
      coalesce(p_meta ->> 'kind', 'vendor') = 'vendor'
      and coalesce(p_meta #>> '{before_match,vendor_id}', 'unrecorded') <> ''
    when p_action = 'match.rejected' then
      coalesce(p_meta ->> 'kind', 'vendor') = 'vendor'
    when p_action = 'status.rejected' then
      not exists (select 1 from public.matches m
                   where m.invoice_id = p_invoice_id and m.kind = 'duplicate'
                     and m.status <> 'rejected')
    else false
  end
$$;
revoke all on function public.trust_ladder_resets(text, jsonb, jsonb, jsonb, uuid)
  from public, anon, authenticated;
grant execute on function public.trust_ladder_resets(text, jsonb, jsonb, jsonb, uuid)
  to service_role;
