# busybox on files (issue 13): redirections, find, xargs, tar, symbolic links, mkdir -p,
# cp, mv, rm, in /tmp. Listings are sorted; no times or inode numbers are printed.
PATH=/bin:/sbin:/usr/bin:/usr/sbin
set -e
cd /tmp
rm -rf work
mkdir -p work/a/b work/c
cd work
echo "== redirections"
echo first > out.txt
echo second >> out.txt
cat < out.txt
ls nonexistent > err.txt 2>&1 || echo "ls failed: status $?"
sed 's/.*nonexistent.*/ls complained/' err.txt
{ echo to stdout; echo to stderr >&2; } 2>&1 | sort
echo "== files"
echo alpha > a/one.txt
echo beta > a/b/two.txt
echo gamma > c/three.log
cp a/one.txt c/copy.txt
mv c/copy.txt c/moved.txt
cat c/moved.txt
echo "== find"
find . -type f | sort
find . -name '*.txt' -type f | sort
find . -type d | sort
echo "== xargs"
find . -name '*.txt' | sort | xargs cat
find . -type f | sort | xargs wc -l | sort
echo "== tar"
tar -cf /tmp/work.tar a c
tar -tf /tmp/work.tar | sort
mkdir unpacked
cd unpacked
tar -xf /tmp/work.tar
cat a/b/two.txt
cd ..
echo "== symbolic links"
ln -s a/one.txt link.txt
ln -s /tmp/work/a dirlink
ln -s nowhere dangling
readlink link.txt
readlink dirlink
cat link.txt
cat dirlink/b/two.txt
ls dirlink/b
[ -L link.txt ] && echo "link.txt is a link"
[ -e dangling ] || echo "dangling points nowhere"
[ -L dangling ] && echo "but dangling is a link"
mv link.txt moved-link.txt
readlink moved-link.txt
cat moved-link.txt
mv moved-link.txt link.txt
cd dirlink/b
pwd
pwd -P
cd ..
pwd -P
cd /tmp/work
echo "== times, statfs, sync"
touch -d '2001-02-03 04:05:06' out.txt
stat -c '%Y %n' out.txt
touch -c nothere
[ -e nothere ] || echo "touch -c made nothing"
touch made.txt
[ -f made.txt ] && echo "touch made a file"
stat -f -c '%T %l' /tmp
sync && echo synced
echo "== rm"
rm link.txt dangling
rm -r unpacked /tmp/work.tar
ls
cd /
rm -rf /tmp/work
echo done
