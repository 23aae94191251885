import t from 'tap'
import { RouteTable } from '../../src/proxy/route-table.ts'

function tableOf(...prefixes: string[]): RouteTable<string> {
  const table = new RouteTable<string>()
  for (const prefix of prefixes) table.set(prefix, 'v' + prefix)
  return table
}

t.test('longest prefix wins, on whole segments only', async (t) => {
  const table = tableOf('/user/a', '/user/abc', '/user/a/lab')
  t.equal(table.match('/user/a')?.prefix, '/user/a')
  t.equal(table.match('/user/a/')?.prefix, '/user/a')
  t.equal(table.match('/user/a/tree/x')?.prefix, '/user/a')
  t.equal(table.match('/user/abc/x')?.prefix, '/user/abc')
  t.equal(table.match('/user/ab/x'), undefined, '/user/ab is not under /user/a')
  t.equal(table.match('/user/a/lab/x')?.value, 'v/user/a/lab')
  t.equal(table.match('/user/a/labs')?.prefix, '/user/a', '/user/a/labs is not under /user/a/lab')
  t.equal(table.match('/User/a'), undefined, 'matching is case-sensitive')
})

t.test('the root route catches everything else', async (t) => {
  const table = tableOf('/', '/user/a')
  t.equal(table.match('/anything/else')?.prefix, '/')
  t.equal(table.match('/')?.prefix, '/')
  t.equal(table.match('')?.prefix, '/')
  t.equal(table.match('/user/a/x')?.prefix, '/user/a')
  t.equal(table.getExact('/'), 'v/')
})

t.test('repeated and trailing slashes in the request do not make empty segments', async (t) => {
  const table = tableOf('/user/a/b')
  t.equal(table.match('/user//a/b/x')?.prefix, '/user/a/b')
  t.equal(table.match('/user/a/b//')?.prefix, '/user/a/b')
})

t.test('getExact finds only the route at exactly that path', async (t) => {
  const table = tableOf('/user/a')
  t.equal(table.getExact('/user/a'), 'v/user/a')
  t.equal(table.getExact('/user'), undefined, 'an inner node is not a route')
  t.equal(table.getExact('/user/a/x'), undefined)
})

t.test('set replaces without growing; size counts routes', async (t) => {
  const table = tableOf('/a', '/a/b', '/c')
  t.equal(table.size, 3)
  table.set('/a', 'new')
  t.equal(table.size, 3)
  t.equal(table.getExact('/a'), 'new')
})

t.test('delete removes one route, keeps its children and prunes empty branches', async (t) => {
  const table = tableOf('/a', '/a/b/c', '/x/y')
  t.equal(table.delete('/a'), true)
  t.equal(table.size, 2)
  t.equal(table.match('/a/b/c/d')?.prefix, '/a/b/c', 'a deeper route survives its parent')
  t.equal(table.match('/a/z'), undefined)
  t.equal(table.delete('/a'), false, 'deleting twice reports nothing deleted')
  t.equal(table.delete('/a/b'), false, 'an inner node is not a route')
  t.equal(table.delete('/nope/x'), false)
  t.equal(table.delete('/a/b/c'), true)
  t.same([...table.entries()], [['/x/y', 'v/x/y']], 'only the other route is left')
  t.equal(table.delete('/x/y'), true)
  t.equal(table.size, 0)
  // Pruned: re-adding works and nothing stale matches.
  t.equal(table.match('/x/y'), undefined)
  table.set('/x', 'again')
  t.equal(table.match('/x/y')?.value, 'again')
})

t.test('entries lists every route; clear empties the table', async (t) => {
  const table = tableOf('/', '/a', '/a/b', '/c')
  t.same(new Set([...table.entries()].map(([p]) => p)), new Set(['/', '/a', '/a/b', '/c']))
  table.clear()
  t.equal(table.size, 0)
  t.equal(table.match('/a'), undefined)
})

t.test('lookups stay correct with many routes', async (t) => {
  const table = new RouteTable<number>()
  for (let i = 0; i < 10_000; i++) table.set(`/user/u${i}`, i)
  t.equal(table.size, 10_000)
  t.equal(table.match('/user/u9999/lab')?.value, 9999)
  t.equal(table.match('/user/u10000/lab'), undefined)
})
