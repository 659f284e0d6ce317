-- Extraction hints also for the line total (issue 14): the approval policy's line-sum check
-- compares the lines with it, so a reviewer corrects it, and that correction teaches the
-- vendor's hint like any other amount.
alter table public.vendor_extraction_hints
  drop constraint vendor_extraction_hints_field_check;
alter table public.vendor_extraction_hints
  add constraint vendor_extraction_hints_field_check
  check (field in ('invoice_number', 'po_number', 'invoice_date', 'due_date', 'line_total',
                   'total', 'subtotal', 'tax', 'amount_due'));
