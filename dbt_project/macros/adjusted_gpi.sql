{#
  The adjusted gender parity index (UIS): F/M when girls' value is at most boys', otherwise
  2 - M/F, so that a disparity in either direction lies the same distance from parity (1).
  Null when the value it divides by is 0.
#}
{% macro adjusted_gpi(girls, boys) -%}
    case
        when {{ girls }} <= {{ boys }} then {{ girls }} / nullif({{ boys }}, 0)
        else 2 - {{ boys }} / nullif({{ girls }}, 0)
    end
{%- endmacro %}
