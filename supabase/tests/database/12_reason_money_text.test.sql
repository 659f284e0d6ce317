-- Money in the reasons against approval: two decimals, grouped, with the currency.
begin;
select plan(8);

select is(public.money_text(10379.92, 'EUR'), '10,379.92 EUR', 'thousands grouped, currency');
select is(public.money_text(-1234.5, null), '-1,234.50', 'no currency: the amount alone');
select is(public.money_text(0.005, 'eur'), '0.01 EUR', 'rounded half up to cents, code upper');
select is(public.money_text(123456789012345.6789, 'USD'), '123,456,789,012,345.68 USD',
          'large amounts keep every digit');
select is(public.money_text(null, 'EUR'), null, 'no amount: null');
select is(public.money_text(5, ' '), '5.00', 'a blank currency is none');
select ok(not has_function_privilege('anon', 'public.money_text(numeric, text)', 'execute'),
          'anon may not call it');
select ok(has_function_privilege('authenticated', 'public.money_text(numeric, text)', 'execute'),
          'authenticated may');

select * from finish();
rollback;
