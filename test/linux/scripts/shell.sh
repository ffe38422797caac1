# busybox sh itself (issue 13): functions, for/while/case, test, arithmetic, subshells,
# command substitution, here-documents, exit statuses, set -e in a subshell, the EXIT trap.
# (A background job waited for is the program busybox-job.)
PATH=/bin:/sbin:/usr/bin:/usr/sbin
square() {
	echo $(($1 * $1))
}
classify() {
	case "$1" in
	[0-9]*) echo "$1 is a number" ;;
	*.txt) echo "$1 is text" ;;
	"") echo "empty" ;;
	*) echo "$1 is something else" ;;
	esac
}
echo "== functions and arithmetic"
echo "square 12 = $(square 12)"
i=0
total=0
while [ $i -lt 10 ]; do
	i=$((i + 1))
	total=$((total + i * 2))
done
echo "total $total, $((total / 7)) rem $((total % 7)), $(( (3 + 4) << 2 ))"
echo "== for and case"
for w in 42 notes.txt "" tree; do
	classify "$w"
done
echo "== test"
[ -d /tmp ] && echo "/tmp is a directory"
[ -f /tmp ] || echo "/tmp is not a file"
test "abc" = "abc" && echo "strings equal"
test 5 -gt 3 -a 2 -le 2 && echo "numbers compare"
[ -z "" ] && [ -n "x" ] && echo "empty and non-empty"
[ -x /bin/busybox ] && echo "busybox is executable"
echo "== subshells and command substitution"
x=outer
(x=inner; echo "in the subshell: $x")
echo "after it: $x"
n=$(echo one two three | wc -w)
echo "words: $n"
echo "nested: $(echo "a $(echo b $(echo c))")"
echo "== here-documents"
cat <<END
x is $x, 2+3 is $((2 + 3))
END
cat <<'END'
quoted: $x $((1+1))
END
echo "== exit statuses"
false
echo "false: $?"
(exit 7)
echo "subshell exit: $?"
sh -c 'exit 5'
echo "sh -c exit: $?"
! true
echo "not true: $?"
true | false
echo "pipeline: $?"
nosuchcommand 2>/dev/null
echo "missing command: $?"
echo "== set -e"
(set -e; echo before; false; echo "not printed")
echo "set -e subshell: $?"
echo "== trap EXIT"
(trap 'echo "exit trap ran, status $?"' EXIT; echo in the trap subshell; exit 3)
echo "after trap: $?"
echo done
