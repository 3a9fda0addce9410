// The reproduction report channels: the list, and one report to show in the app as it was written.
import { ApiError } from '../api/contract';
import { listReports, readReport } from '../reproduce/reports';
import type { ServiceContext } from './context';
import type { Handlers } from './dispatch';

export function reportHandlers(context: ServiceContext): Pick<Handlers, 'reports:list' | 'reports:get'> {
  return {
    'reports:list': async () => listReports(context.workspace),
    'reports:get': async ({ reportId }) => {
      const report = readReport(context.workspace, reportId);
      if (!report) throw new ApiError('E_NOT_FOUND', `There is no report '${reportId}'; 'alexnet reproduce' writes them.`);
      return report;
    },
  };
}
