// Hash routing: one view per `#/name`; anything else shows the datasets.

export const ROUTES = ['datasets', 'train', 'runs', 'kernels', 'lookup', 'confusion'] as const;
export type Route = (typeof ROUTES)[number];

function parse(hash: string): Route {
  const name = hash.replace(/^#\/?/, '').split(/[/?&]/)[0];
  return (ROUTES as readonly string[]).includes(name ?? '') ? (name as Route) : 'datasets';
}

class Router {
  route = $state<Route>(parse(location.hash));

  constructor() {
    window.addEventListener('hashchange', () => (this.route = parse(location.hash)));
  }

  go(route: Route): void {
    location.hash = `#/${route}`;
  }
}

export const router = new Router();
