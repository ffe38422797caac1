# busybox text tools in pipelines (issue 13): cat, grep, sed, awk, sort, uniq, wc, head,
# tail, cut, tr. Output is deterministic: no pids, times or inode numbers.
PATH=/bin:/sbin:/usr/bin:/usr/sbin
cd /tmp || exit 1
cat > fruit.txt <<'END'
apple 3 red
banana 12 yellow
cherry 7 red
apple 5 green
date 1 brown
banana 2 green
END
echo "== sort | uniq -c"
cut -d' ' -f1 fruit.txt | sort | uniq -c
echo "== grep -c red, grep -v"
grep -c red fruit.txt
grep -v an fruit.txt | sort
echo "== sed"
sed -e 's/red/RED/' -e '/banana/d' fruit.txt
sed -n '2,3p' fruit.txt
echo "== awk sum by fruit"
awk '{ n[$1] += $2 } END { for (k in n) print k, n[k] }' fruit.txt | sort
awk -F' ' 'NR % 2 == 0 { printf "%s:%d\n", $1, $2 * 10 }' fruit.txt
echo "== sort -n -k2, -r"
sort -n -k2 fruit.txt | head -3
sort -r fruit.txt | tail -2
echo "== wc"
wc -l < fruit.txt
wc -w fruit.txt
cat fruit.txt fruit.txt | wc -c
echo "== tr"
echo "Hello, World" | tr 'a-z' 'A-Z'
echo "a:b:c" | tr ':' '\n' | sort -r
echo "squeeze    spaces" | tr -s ' '
echo "== head and tail"
seq 1 20 | head -n 4 | tail -n 2
seq 1 100 | tail -n 3
echo "== cut"
echo "one,two,three,four" | cut -d, -f2,4
echo "abcdefgh" | cut -c3-5
echo "== ls | grep | wc"
ls /usr/bin | grep -c '^s'
ls -1 /usr/bin | grep '^w' | sort
rm fruit.txt
echo done
