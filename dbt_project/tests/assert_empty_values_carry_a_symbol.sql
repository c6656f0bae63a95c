-- An empty figure always says why: every observation without a value has a symbol (x not
-- available, z not applicable), a symbol stands only where the value is empty, and x comes
-- with a footnote giving the reason.
select *
from {{ ref('observations') }}
where
    (value is null and symbol is null)
    or (value is not null and symbol is not null)
    or (symbol = 'x' and footnote is null)
