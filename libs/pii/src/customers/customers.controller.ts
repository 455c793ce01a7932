import {
  CurrentPrincipal,
  CurrentReach,
  Ownership,
  OwnershipRule,
  RequireScopes,
  Scope,
  type Principal,
  type Reach,
} from '@orderops/access';
import { Body, Controller, Delete, Get, Header, HttpCode, Param, Post } from '@nestjs/common';
import { ApiProblems } from '@orderops/core';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RevealPii } from '../masking/pii.decorator.js';
import { toCustomerResponse } from './customer.mapper.js';
import { CustomersService } from './customers.service.js';
import { RevealCustomerDto, SearchCustomersDto } from './dto/customer-requests.dto.js';
import { CustomerExportResponse, CustomerResponse } from './dto/customer.response.js';

@ApiTags('customers')
@Controller('customers')
export class CustomersController {
  constructor(private readonly customers: CustomersService) {}

  @Get(':id')
  @RequireScopes(Scope.OrdersRead)
  @OwnershipRule(Ownership.Owned)
  @ApiOperation({ summary: 'A customer, masked' })
  @ApiOkResponse({ type: CustomerResponse })
  @ApiProblems({ 400: 'Not a customer id', 404: 'No customer you can see has this id' })
  async get(@Param('id') id: string, @CurrentReach() reach: Reach): Promise<CustomerResponse> {
    return toCustomerResponse(await this.customers.get(id, reach));
  }

  @Post('search')
  @HttpCode(200)
  @RequireScopes(Scope.OrdersRead)
  @OwnershipRule(Ownership.Owned)
  @ApiOperation({ summary: 'Find customers by exact email or phone (blind index); masked results' })
  @ApiOkResponse({ type: CustomerResponse, isArray: true })
  @ApiProblems({ 400: 'Invalid fields (see errors[])' })
  async search(@Body() body: SearchCustomersDto, @CurrentReach() reach: Reach): Promise<CustomerResponse[]> {
    return (await this.customers.search(body, reach)).map((record) => toCustomerResponse(record));
  }

  @Post(':id/reveal')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @RequireScopes(Scope.PiiReveal)
  @OwnershipRule(Ownership.Owned)
  @RevealPii(Scope.PiiReveal)
  @ApiOperation({ summary: 'Reveal a customer’s personal data for a stated purpose (audited)' })
  @ApiOkResponse({ type: CustomerResponse })
  @ApiProblems({ 400: 'Not a customer id', 404: 'No customer you can see has this id' })
  async reveal(
    @Param('id') id: string,
    @Body() body: RevealCustomerDto,
    @CurrentPrincipal() principal: Principal,
    @CurrentReach() reach: Reach,
  ): Promise<CustomerResponse> {
    return toCustomerResponse(await this.customers.reveal(id, body.purpose, principal, reach));
  }

  @Get(':id/export')
  @Header('Cache-Control', 'no-store')
  @RequireScopes(Scope.PiiExport)
  @OwnershipRule(Ownership.Owned)
  @RevealPii(Scope.PiiExport)
  @ApiOperation({ summary: 'Everything held about the person, with their orders (GDPR Art. 15)' })
  @ApiOkResponse({ type: CustomerExportResponse })
  @ApiProblems({ 400: 'Not a customer id', 404: 'No customer you can see has this id' })
  async export(
    @Param('id') id: string,
    @CurrentPrincipal() principal: Principal,
    @CurrentReach() reach: Reach,
  ): Promise<CustomerExportResponse> {
    const { record, related } = await this.customers.export(id, principal, reach);
    return Object.assign(new CustomerExportResponse(), {
      customer: toCustomerResponse(record),
      related,
      exportedAt: new Date().toISOString(),
    });
  }

  @Delete(':id/pii')
  @HttpCode(204)
  @RequireScopes(Scope.PiiErase)
  @OwnershipRule(Ownership.Owned)
  @ApiOperation({
    summary: 'Erase the person: destroys the data key and blind indexes; orders keep their figures',
  })
  @ApiNoContentResponse()
  @ApiProblems({ 400: 'Not a customer id', 404: 'No customer you can see has this id' })
  async erase(
    @Param('id') id: string,
    @CurrentPrincipal() principal: Principal,
    @CurrentReach() reach: Reach,
  ): Promise<void> {
    await this.customers.erase(id, principal, reach);
  }
}
