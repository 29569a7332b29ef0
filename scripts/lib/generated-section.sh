# replace_generated_section DOC NAME FILE: replaces the lines between `<!-- NAME: begin -->`
# and `<!-- NAME: end -->` in DOC (a generated table in docs/) with FILE's content.
replace_generated_section() {
	local doc="$1" begin="<!-- $2: begin -->" end="<!-- $2: end -->" file="$3" tmp
	grep -qxF "$begin" "$doc" && grep -qxF "$end" "$doc" \
		|| { echo "$doc lacks the $begin/$end markers" >&2; return 1; }
	tmp="$(mktemp)"
	{
		sed "/^$begin\$/q" "$doc"
		cat "$file"
		sed -n "/^$end\$/,\$p" "$doc"
	} >"$tmp"
	cp "$tmp" "$doc"
	rm -f "$tmp"
	echo "wrote $doc" >&2
}
