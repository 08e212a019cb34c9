export { type FiguresCache } from './figures-cache';
export { dashboardRouter } from './routes';
export { startDashboardWarmer } from './warm';
